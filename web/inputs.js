// inputs.js: the inputs openProject takes as bytes, a Blob/File or a URL,
// shared by the API (dbtdefer.js) and the host that loads them (host.js).

/** The single-file inputs of openProject. */
export const inputKeys = ["manifest", "state", "catalog", "runResults", "projectYml", "stateRunResults", "stateCatalog", "dependenciesYml"];

/** The inputs that describe production's run: refreshState swaps them. */
export const stateKeys = ["state", "stateRunResults", "stateCatalog"];
