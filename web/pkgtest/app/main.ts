// The TypeScript consumer: type-checked with tsc --noEmit --strict against
// the package's dbtdefer.d.ts (found through its exports map).
import { initialize, openProject, DbtdeferError, type CompileResult, type RefResult, type StateInfo } from "dbtdefer";

export async function preview(dev: Uint8Array, prodURL: string): Promise<string> {
  await initialize();
  const project = await openProject({ manifest: dev, state: prodURL, runURL: "https://ci.example/runs/{invocation_id}", staleAfterMs: 3_600_000 });
  const res: CompileResult = await project.compile({ model: "customers", defer: "favor-state" });
  const deferred: RefResult[] = res.refs.filter((r) => r.env === "state");
  const info: StateInfo | null = await project.stateInfo();
  const link: string | undefined = info?.run?.url;
  const { changed } = await project.refreshState();
  // @ts-expect-error: "favour-state" is not a defer mode
  await project.compile({ model: "customers", defer: "favour-state" });
  try {
    await project.resolve({ ref: "stg_customers" });
  } catch (e) {
    if (e instanceof DbtdeferError) return `${e.code}: ${e.message}`;
  }
  await project.dispose();
  return `${res.sql} ${deferred.length} ${link ?? ""} ${changed}`;
}
