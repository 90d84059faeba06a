package selector

import (
	"bytes"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/manifest"
)

// stateCache is the comparison of a Graph's manifest against one state
// manifest: the state's field index, the set of "tainted" macros (modified,
// or calling a modified macro), and per-member diffs computed on demand.
type stateCache struct {
	state *manifest.Manifest
	sx    *index

	macroOnce sync.Once
	tainted   map[string]bool

	mu    sync.Mutex
	diffs []*diff // by member position, computed on demand
	// toState maps current member positions to state ones (-1: absent)
	// when the state index was scanned with the current one as hints
	toState []int32
	// prefetched: all diffs were computed in parallel once
	prefetched bool
	warnings   []diag.Diagnostic
	warned     map[string]bool
}

// stateFor returns the (cached) comparison against state.
func (g *Graph) stateFor(state *manifest.Manifest, stateGraph *Graph) *stateCache {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state != nil && g.state.state == state {
		return g.state
	}
	g.ensure()
	var sx *index
	if stateGraph != nil && stateGraph.m == state {
		sx = stateGraph.ix
	} else {
		sx = newIndex(state)
	}
	// the state side mostly repeats the current side: scan it with hints
	sx.ensure(g.ix)
	sc := &stateCache{state: state, sx: sx, diffs: make([]*diff, len(g.ix.ids)), warned: map[string]bool{}}
	if sx.hint == g.ix {
		sc.toState = make([]int32, len(g.ix.ids))
		for i := range sc.toState {
			sc.toState[i] = -1
		}
		for op := range sx.entries {
			if hp := sx.entries[op].hintPos; hp >= 0 {
				sc.toState[hp] = int32(op)
			}
		}
	}
	g.state = sc
	return sc
}

// statePos is the state position of current member p (uid): the same
// position when both manifests list their entries alike, else a lookup.
func (sc *stateCache) statePos(p int32, uid string) (int32, bool) {
	if sc.toState != nil {
		op := sc.toState[p]
		return op, op >= 0
	}
	if int(p) < len(sc.sx.ids) && sc.sx.ids[p] == uid {
		return p, true
	}
	op, ok := sc.sx.posOf(uid)
	return op, ok
}

// diff is what differs between a member and its state counterpart.
type diff struct {
	isNew bool
	// the sub-selector checks (dbt's check_modified_factory: true when the
	// entry type has the comparison and old is missing or different)
	body, configs, persisted, relation, macros, contract bool
	// modified is dbt's check_modified_content.
	modified bool
	// why lists the reasons modified is true.
	why []string
	err error
	// warnings found while computing, added to the cache's warnings (in
	// member order) when the diff is first used
	warns   []keyedWarning
	flushed bool
}

type keyedWarning struct {
	key string
	d   diag.Diagnostic
}

// taintedMacros computes once: macros whose macro_sql changed, that exist in
// only one manifest, or that (transitively) call such a macro.
func (sc *stateCache) taintedMacros(g *Graph) map[string]bool {
	sc.macroOnce.Do(func() {
		cur := g.ix.macroIndex(g.m)
		old := sc.sx.macroIndex(sc.state)
		t := map[string]bool{}
		for uid, me := range cur {
			if om, ok := old[uid]; !ok || !strEqual(g.ix.data, me.sql, sc.sx.data, om.sql) {
				t[uid] = true
			}
		}
		for uid := range old {
			if _, ok := cur[uid]; !ok {
				t[uid] = true
			}
		}
		if len(t) > 0 {
			callers := map[string][]string{}
			for uid, me := range cur {
				for _, dep := range me.deps {
					callers[dep] = append(callers[dep], uid)
				}
			}
			queue := make([]string, 0, len(t))
			for uid := range t {
				queue = append(queue, uid)
			}
			for len(queue) > 0 {
				u := queue[len(queue)-1]
				queue = queue[:len(queue)-1]
				for _, c := range callers[u] {
					if !t[c] {
						t[c] = true
						queue = append(queue, c)
					}
				}
			}
		}
		sc.tainted = t
	})
	return sc.tainted
}

func (sc *stateCache) warn(key string, d diag.Diagnostic) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.warned[key] {
		sc.warned[key] = true
		sc.warnings = append(sc.warnings, d)
	}
}

// cmp pairs a current entry with its state counterpart.
type cmp struct {
	d1, d2 []byte
	e1, e2 *entry
	rt     string
	// hinted: e2 was scanned with e1 as its hint, so e2.same applies
	hinted bool
}

// same reports, without reading either value, that field f is identical on
// both sides: taken over from the hint, or absent from both.
func (c *cmp) same(f field) bool {
	if c.hinted && c.e2.same&(1<<f) != 0 {
		return true
	}
	return !c.e1.get(f).ok() && !c.e2.get(f).ok()
}

func (c *cmp) eq(f field) bool {
	if c.hinted && c.e2.same&(1<<f) != 0 {
		return true
	}
	return jsonEqual(c.d1, c.e1.get(f), c.d2, c.e2.get(f))
}

func (c *cmp) rawCode(d []byte, e *entry) span {
	if s := e.get(fRawCode); s.ok() {
		return s
	}
	return e.get(fRawSQL)
}

func (c *cmp) sameBody() bool {
	if c.rt == "seed" {
		return c.eq(fChecksum)
	}
	if c.hinted && c.e2.same&(1<<fRawCode) != 0 && c.e1.get(fRawCode).ok() {
		return true
	}
	s1, s2 := c.rawCode(c.d1, c.e1), c.rawCode(c.d2, c.e2)
	if !s1.ok() || !s2.ok() {
		return s1.ok() == s2.ok()
	}
	return strEqual(c.d1, s1, c.d2, s2)
}

// testConfigKeys are the only keys TestConfig.same_contents compares.
var testConfigKeys = []string{"severity", "where", "limit", "fail_calc", "warn_if", "error_if", "store_failures", "store_failures_as", "sql_header"}

// nodeConfigExcluded are NodeAndTestConfig's compare-excluded fields.
var nodeConfigExcluded = map[string]bool{"alias": true, "schema": true, "database": true, "tags": true, "group": true}

// sameUnrendered is BaseConfig.same_contents over unrendered_config: every
// key present in either side must be present in both and equal, except the
// excluded ones; only is, when non-nil, the full list of compared keys.
func (c *cmp) sameUnrendered(excluded map[string]bool, only []string) bool {
	if c.hinted && c.e2.same&(1<<fUnrenderedConfig) != 0 {
		return true
	}
	s1, s2 := c.e1.get(fUnrenderedConfig), c.e2.get(fUnrenderedConfig)
	if s1.ok() && s2.ok() && string(c.d1[s1.a:s1.b]) == string(c.d2[s2.a:s2.b]) {
		return true
	}
	m1, m2 := members(c.d1, s1), members(c.d2, s2)
	if only != nil {
		for _, k := range only {
			v1, ok1 := m1[k]
			v2, ok2 := m2[k]
			if ok1 != ok2 || ok1 && !jsonEqual(c.d1, v1, c.d2, v2) {
				return false
			}
		}
		return true
	}
	for k, v1 := range m1 {
		if excluded[k] {
			continue
		}
		v2, ok := m2[k]
		if !ok || !jsonEqual(c.d1, v1, c.d2, v2) {
			return false
		}
	}
	for k := range m2 {
		if _, ok := m1[k]; !ok && !excluded[k] {
			return false
		}
	}
	return true
}

func members(d []byte, sp span) map[string]span {
	out := map[string]span{}
	if kind(d, sp) != '{' {
		return out
	}
	eachMember(d, sp, func(k []byte, v span) bool {
		out[string(k)] = v
		return true
	})
	return out
}

func (c *cmp) sameConfig(sec uint8) bool {
	switch sec {
	case secNodes, secFunctions:
		if c.rt == "test" {
			return c.sameUnrendered(nil, testConfigKeys)
		}
		return c.sameUnrendered(nodeConfigExcluded, nil)
	case secSources, secExposures:
		return c.sameUnrendered(nil, nil)
	case secMetrics:
		return c.sameUnrendered(map[string]bool{"group": true}, nil)
	case secSemanticModels, secSavedQueries:
		return c.eq(fConfig) // these compare the rendered config objects
	}
	return true
}

func truthy(d []byte, sp span) bool {
	switch kind(d, sp) {
	case 0, 'n', 'f':
		return false
	case '"':
		return sp.b-sp.a > 2
	case '[':
		return string(d[sp.a:sp.b]) != "[]" && len(strings.TrimSpace(string(d[sp.a+1:sp.b-1]))) > 0
	case '{':
		return len(strings.TrimSpace(string(d[sp.a+1:sp.b-1]))) > 0
	case '0':
		return false
	}
	return true
}

func (c *cmp) samePersisted() bool {
	if c.same(fDescription) && c.same(fColumns) {
		return true // whatever persist_docs says
	}
	pd, _ := objGet(c.d1, c.e1.get(fConfig), "persist_docs")
	if r, _ := objGet(c.d1, pd, "relation"); truthy(c.d1, r) {
		if !strEqualOrAbsent(c.d1, c.e1.get(fDescription), c.d2, c.e2.get(fDescription)) {
			return false
		}
	}
	if cl, _ := objGet(c.d1, pd, "columns"); truthy(c.d1, cl) {
		m1, m2 := members(c.d1, c.e1.get(fColumns)), members(c.d2, c.e2.get(fColumns))
		if len(m1) != len(m2) {
			return false
		}
		for k, v1 := range m1 {
			v2, ok := m2[k]
			if !ok {
				return false
			}
			a, _ := objGet(c.d1, v1, "description")
			b, _ := objGet(c.d2, v2, "description")
			if !strEqualOrAbsent(c.d1, a, c.d2, b) {
				return false
			}
		}
	}
	return true
}

func strEqualOrAbsent(d1 []byte, a span, d2 []byte, b span) bool {
	if !a.ok() || !b.ok() {
		return strVal(d1, a) == strVal(d2, b)
	}
	return jsonEqual(d1, a, d2, b)
}

func (c *cmp) sameDBRepr(sec uint8, compareRendered bool) bool {
	if sec == secSources {
		ud1, ud2 := c.e1.get(fUnrenderedDatabase), c.e2.get(fUnrenderedDatabase)
		us1, us2 := c.e1.get(fUnrenderedSchema), c.e2.get(fUnrenderedSchema)
		var sameDB, sameSchema bool
		if !compareRendered && (ud1.ok() || us1.ok()) && (ud2.ok() || us2.ok()) {
			sameDB = jsonEqual(c.d1, ud1, c.d2, ud2)
			sameSchema = jsonEqual(c.d1, us1, c.d2, us2)
		} else {
			sameDB, sameSchema = c.eq(fDatabase), c.eq(fSchema)
		}
		return sameDB && sameSchema && c.eq(fIdentifier)
	}
	if c.hinted && c.e2.same&(1<<fUnrenderedConfig) != 0 {
		return true
	}
	u1, u2 := c.e1.get(fUnrenderedConfig), c.e2.get(fUnrenderedConfig)
	if u1.ok() && u2.ok() && string(c.d1[u1.a:u1.b]) == string(c.d2[u2.a:u2.b]) {
		return true
	}
	for _, k := range []string{"database", "schema", "alias"} {
		a, _ := objGet(c.d1, u1, k)
		b, _ := objGet(c.d2, u2, k)
		if !jsonEqual(c.d1, a, c.d2, b) {
			return false
		}
	}
	return true
}

// sameRefRepr is ModelNode.same_ref_representation; an absent access is
// dbt's default, "protected" (manifests before 1.5 have none).
func (c *cmp) sameRefRepr() (bool, string) {
	if !c.eq(fLatestVersion) {
		return false, "latest_version"
	}
	if !c.same(fAccess) {
		a1, a2 := strVal(c.d1, c.e1.get(fAccess)), strVal(c.d2, c.e2.get(fAccess))
		if a1 == "" {
			a1 = "protected"
		}
		if a2 == "" {
			a2 = "protected"
		}
		if a1 != a2 {
			return false, "access"
		}
	}
	if !c.eq(fDeprecationDate) {
		return false, "deprecation_date"
	}
	return true, ""
}

// contractOf reads contract.enforced and contract.checksum (node-level, or
// config.contract for 1.5-era manifests).
func contractOf(d []byte, e *entry) (enforced bool, checksum string) {
	ct := e.get(fContract)
	if !ct.ok() {
		ct, _ = objGet(d, e.get(fConfig), "contract")
	}
	var en, cs span
	var haveEn, haveCs bool
	eachMember(d, ct, func(k []byte, v span) bool {
		switch {
		case !haveEn && string(k) == "enforced":
			en, haveEn = v, true
		case !haveCs && string(k) == "checksum":
			cs, haveCs = v, true
		}
		return !haveEn || !haveCs
	})
	return kind(d, en) == 't', strVal(d, cs)
}

func contractSpan(d []byte, e *entry) span {
	if ct := e.get(fContract); ct.ok() {
		return ct
	}
	ct, _ := objGet(d, e.get(fConfig), "contract")
	return ct
}

// macroName is strVal without an allocation for the lookup.
func macroName(d []byte, v span) string {
	if kind(d, v) == '"' && v.b-v.a >= 2 && bytes.IndexByte(d[v.a+1:v.b-1], '\\') < 0 {
		return unsafe.String(&d[v.a+1], int(v.b-v.a-2))
	}
	return strVal(d, v)
}

// sameContract is ModelNode.same_contract, reporting breaking changes (a
// warning for unversioned models, an error for versioned ones, as dbt does).
// Constraint removals and materialization changes are not analysed yet.
func (sc *stateCache) sameContract(c *cmp, uid string, df *diff) (bool, error) {
	// identical contract values (or none on either side): the same contract
	if c.hinted && (c.e2.same&(1<<fContract) != 0 || c.same(fContract) && c.e2.same&(1<<fConfig) != 0) {
		return true, nil
	}
	if s1, s2 := contractSpan(c.d1, c.e1), contractSpan(c.d2, c.e2); !s1.ok() && !s2.ok() ||
		s1.ok() && s2.ok() && string(c.d1[s1.a:s1.b]) == string(c.d2[s2.a:s2.b]) {
		return true, nil
	}
	en1, cs1 := contractOf(c.d1, c.e1)
	en2, cs2 := contractOf(c.d2, c.e2)
	if !en2 && !en1 {
		return true, nil
	}
	if !en2 && en1 {
		return false, nil
	}
	if en1 && cs1 == cs2 {
		return true, nil
	}
	var breaking []string
	if en2 && !en1 {
		breaking = append(breaking, "Contract enforcement was removed: Previously, this model had an enforced contract. It is no longer configured to enforce its contract, and this is a breaking change.")
	}
	newCols, oldCols := members(c.d1, c.e1.get(fColumns)), members(c.d2, c.e2.get(fColumns))
	oldNames := make([]string, 0, len(oldCols))
	for k := range oldCols {
		oldNames = append(oldNames, k)
	}
	sort.Strings(oldNames)
	var removed, typeChanges []string
	for _, k := range oldNames {
		ov := oldCols[k]
		nv, ok := newCols[k]
		if !ok {
			nm, _ := objGet(c.d2, ov, "name")
			removed = append(removed, strVal(c.d2, nm))
			continue
		}
		ot, _ := objGet(c.d2, ov, "data_type")
		nt, _ := objGet(c.d1, nv, "data_type")
		o, n := strVal(c.d2, ot), strVal(c.d1, nt)
		if o != n && normType(o) != normType(n) {
			typeChanges = append(typeChanges, fmt.Sprintf("%s (%s -> %s)", k, o, n))
		}
	}
	if len(removed) > 0 {
		breaking = append(breaking, "Columns were removed: \n    - "+strings.Join(removed, "\n    - "))
	}
	if len(typeChanges) > 0 {
		breaking = append(breaking, "Columns with data_type changes: \n    - "+strings.Join(typeChanges, "\n    - "))
	}
	if len(breaking) == 0 {
		return false, nil
	}
	name := strVal(c.d1, c.e1.get(fName))
	file := strVal(c.d1, c.e1.get(fOriginalFilePath))
	if _, versioned := scalarVal(c.d1, c.e1.get(fVersion)); versioned {
		return false, diag.Errorf(CodeContract, diag.Location{File: file, UniqueID: uid},
			"While comparing to previous project state, dbt detected a breaking change to an enforced contract.\n  - %s\nConsider making an additive (non-breaking) change instead, or create a new model version.",
			strings.Join(breaking, "\n  - "))
	}
	df.warns = append(df.warns, keyedWarning{"contract:" + uid, diag.Warning(CodeContract, diag.Location{File: file, UniqueID: uid},
		"Breaking change to contracted, unversioned model %s (%s): while comparing to previous project state, dbt detected a breaking change to an unversioned model.\n  - %s",
		name, file, strings.Join(breaking, "\n  - "))})
	return false, nil
}

func normType(t string) string {
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = t[:i]
	}
	return strings.ToLower(strings.TrimSpace(t))
}

// diffOf computes (once) what differs for member p.
func (sc *stateCache) diffOf(g *Graph, p int32, opt *Options) *diff {
	sc.mu.Lock()
	d := sc.diffs[p]
	if d == nil {
		sc.mu.Unlock()
		d = sc.compute(g, p, opt)
		sc.mu.Lock()
		if sc.diffs[p] == nil {
			sc.diffs[p] = d
		}
		d = sc.diffs[p]
	}
	if !d.flushed {
		d.flushed = true
		for _, w := range d.warns {
			if !sc.warned[w.key] {
				sc.warned[w.key] = true
				sc.warnings = append(sc.warnings, w.d)
			}
		}
	}
	sc.mu.Unlock()
	return d
}

// prefetch computes the diffs of every enabled member in parallel chunks,
// when several CPUs are available (a state: selector compares them all);
// diffOf then hands them out, and their warnings, in member order.
func (sc *stateCache) prefetch(g *Graph, opt *Options) {
	workers := min(runtime.GOMAXPROCS(0), 8)
	n := len(g.enabled)
	if workers < 2 || n < 2000 {
		return
	}
	sc.mu.Lock()
	done := sc.prefetched
	sc.prefetched = true
	sc.mu.Unlock()
	if done {
		return
	}
	out := make([]*diff, n)
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := lo; p < hi; p++ {
				if g.enabled[p] {
					out[p] = sc.compute(g, int32(p), opt)
				}
			}
		}()
	}
	wg.Wait()
	sc.mu.Lock()
	for p, d := range out {
		if d != nil && sc.diffs[p] == nil {
			sc.diffs[p] = d
		}
	}
	sc.mu.Unlock()
}

func (sc *stateCache) macrosChanged(g *Graph, p int32) (bool, error) {
	e := &g.ix.entries[p]
	ms := e.get(fDepMacros)
	if !ms.ok() {
		return false, nil
	}
	tainted := sc.taintedMacros(g)
	if len(tainted) == 0 && !e.macroNull {
		return false, nil
	}
	changed := false
	var err error
	eachElement(g.ix.data, ms, func(v span) bool {
		if kind(g.ix.data, v) == 'n' {
			err = diag.Errorf(CodeMissingMacro, diag.Location{File: g.str(p, fOriginalFilePath), UniqueID: g.ix.ids[p]},
				"Node '%s' (in %s) depends on a macro or test that does not exist. This can happen when a macro or generic test is removed but is still referenced. Check for typos and/or install package dependencies with 'dbt deps'.",
				g.str(p, fName), g.str(p, fOriginalFilePath))
			return false
		}
		if len(tainted) > 0 && tainted[macroName(g.ix.data, v)] {
			changed = true
			return false
		}
		return true
	})
	return changed, err
}

func (sc *stateCache) compute(g *Graph, p int32, opt *Options) *diff {
	uid := g.ix.ids[p]
	sec := g.ix.section[p]
	rt := g.resourceType(p)
	d := &diff{}
	if sec != secSources {
		d.macros, d.err = sc.macrosChanged(g, p)
	}
	op, found := sc.statePos(p, uid)
	parsed := sec == secNodes || sec == secFunctions // dbt's ParsedNode subclasses
	if !found {
		d.isNew = true
		d.body = parsed
		d.configs = sec != secUnitTests
		d.persisted = parsed
		d.relation = parsed || sec == secSources
		d.contract = parsed
		// ParsedNode and unit tests: a missing old is a change; sources,
		// exposures, metrics, semantic models and saved queries: "same".
		d.modified = parsed || sec == secUnitTests || d.macros
		if parsed || sec == secUnitTests {
			d.why = append(d.why, "state:modified (new)")
		}
		if d.macros {
			d.why = append(d.why, "state:modified.macros")
		}
		return d
	}
	c := &cmp{d1: g.ix.data, d2: sc.sx.data, e1: &g.ix.entries[p], e2: &sc.sx.entries[op], rt: rt,
		hinted: sc.sx.hint == g.ix}
	why := func(s string) { d.why = append(d.why, s) }
	var content bool
	switch sec {
	case secNodes, secFunctions:
		d.body = !c.sameBody()
		d.configs = !c.sameConfig(sec)
		d.persisted = !c.samePersisted()
		d.relation = !c.sameDBRepr(sec, false)
		if rt == "model" {
			same, err := sc.sameContract(c, uid, d)
			d.contract = !same
			if err != nil && d.err == nil {
				d.err = err
			}
		}
		fqnDiff := !c.eq(fFQN)
		if rt == "seed" && checksumName(c.d1, c.e1) == "path" {
			seed := g.str(p, fPackageName) + "." + g.str(p, fName)
			msg := "Found a seed (%s) >1MiB in size at the same path, dbt cannot tell if it has changed: assuming they are the same"
			switch {
			case checksumName(c.d2, c.e2) != "path":
				msg = "Found a seed (%s) >1MiB in size. The previous file was <=1MiB, so it has changed"
			case d.body:
				msg = "Found a seed (%s) >1MiB in size at a different path than before, so it has changed"
			}
			d.warns = append(d.warns, keyedWarning{"seed:" + uid, diag.Warning(CodeSeedTooLarge, diag.Location{UniqueID: uid}, msg, seed)})
		}
		if rt == "test" && kind(c.d1, c.e1.get(fTestMetadata)) == '{' {
			// generic tests: only config and fqn (their SQL is generated)
			content = d.configs || fqnDiff
			if d.configs {
				why("state:modified.configs")
			}
		} else {
			content = d.body || d.configs || d.persisted || fqnDiff || d.relation || d.contract
			for _, x := range []struct {
				on   bool
				name string
			}{{d.body, "body"}, {d.configs, "configs"}, {d.persisted, "persisted_descriptions"}, {d.relation, "relation"}, {d.contract, "contract"}} {
				if x.on {
					why("state:modified." + x.name)
				}
			}
			if rt == "model" {
				if same, what := c.sameRefRepr(); !same {
					content = true
					why("state:modified (" + what + " changed)")
				}
			}
			if sec == secFunctions {
				for _, f := range []field{fArguments, fReturns, fOverloads} {
					if !c.eq(f) {
						content = true
						why("state:modified (function signature changed)")
						break
					}
				}
			}
		}
		if fqnDiff {
			why("state:modified (fqn changed)")
		}
	case secSources:
		d.configs = !c.sameConfig(sec)
		d.relation = !c.sameDBRepr(sec, opt.CompareRenderedSourceLocation)
		if d.configs {
			why("state:modified.configs")
		}
		if d.relation {
			why("state:modified.relation")
		}
		content = d.configs || d.relation
		for _, x := range []struct {
			f    field
			name string
		}{{fFQN, "fqn"}, {fQuoting, "quoting"}, {fFreshness, "freshness"}, {fLoadedAtField, "loaded_at_field"}, {fExternal, "external"}} {
			if !c.eq(x.f) {
				content = true
				why("state:modified (" + x.name + " changed)")
			}
		}
	case secExposures, secMetrics, secSemanticModels, secSavedQueries:
		d.configs = !c.sameConfig(sec)
		if d.configs {
			why("state:modified.configs")
		}
		content = d.configs
		var fields []field
		switch sec {
		case secExposures:
			fields = []field{fFQN, fType, fOwner, fMaturity, fURL, fDescription, fLabel}
			if !sameDependsOnSet(c) {
				content = true
				why("state:modified (depends_on changed)")
			}
		case secMetrics:
			fields = []field{fType, fDescription, fLabel}
		case secSemanticModels:
			fields = []field{fModel, fDescription, fDefaults, fEntities, fDimensions, fMeasures, fPrimaryEntity, fGroup}
		case secSavedQueries:
			fields = []field{fQueryParams, fDescription, fLabel, fGroup, fExports, fTags}
		}
		for _, f := range fields {
			if !c.eq(f) {
				content = true
				why("state:modified (" + fieldName(f) + " changed)")
			}
		}
	case secUnitTests:
		if !c.eq(fChecksum) {
			content = true
			why("state:modified (unit test checksum changed)")
		}
	}
	d.modified = content || d.macros || d.contract
	if d.macros {
		why("state:modified.macros")
	}
	return d
}

func checksumName(d []byte, e *entry) string {
	n, _ := objGet(d, e.get(fChecksum), "name")
	return strVal(d, n)
}

func sameDependsOnSet(c *cmp) bool {
	set := func(d []byte, e *entry) map[string]bool {
		ns := e.get(fDepNodes)
		out := map[string]bool{}
		for _, s := range strList(d, ns) {
			out[s] = true
		}
		return out
	}
	a, b := set(c.d1, c.e1), set(c.d2, c.e2)
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func fieldName(f field) string {
	for k, v := range fieldByKey {
		if v == f {
			return k
		}
	}
	return "?"
}

// searchState runs the state: method (spec §4.5).
func (s *selection) searchState(value string) ([]int32, map[int32][]string, error) {
	if s.opt.State == nil && s.opt.StateGraph != nil {
		s.opt.State = s.opt.StateGraph.m
	}
	if s.opt.State == nil {
		return nil, nil, badf(CodeNoState, 0, "", "Got a state selector method, but no comparison manifest")
	}
	g := s.g
	sc := g.stateFor(s.opt.State, s.opt.StateGraph)
	if value != "new" && value != "old" {
		sc.prefetch(g, &s.opt)
	}
	var out []int32
	why := map[int32][]string{}
	var firstErr error
	s.members(func(p int32, sec uint8) {
		if firstErr != nil {
			return
		}
		var hit bool
		var reasons []string
		if value == "new" || value == "old" {
			_, found := sc.statePos(p, g.ix.ids[p])
			hit = found == (value == "old")
			reasons = []string{"state:" + value}
		} else {
			d := sc.diffOf(g, p, &s.opt)
			if d.err != nil {
				firstErr = d.err
				return
			}
			switch value {
			case "modified":
				hit, reasons = d.modified, d.why
			case "unmodified":
				hit, reasons = !d.modified, []string{"state:unmodified"}
			case "modified.body":
				hit = d.body
			case "modified.configs":
				hit = d.configs
			case "modified.persisted_descriptions":
				hit = d.persisted
			case "modified.relation":
				hit = d.relation
			case "modified.macros":
				hit = d.macros
			case "modified.contract":
				hit = d.contract
			}
			if reasons == nil {
				reasons = []string{"state:" + value}
			}
		}
		if hit {
			out = append(out, p)
			why[p] = reasons
		}
	})
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if value == "modified" || value == "unmodified" || value == "modified.contract" {
		if err := sc.checkRemovedContracts(g); err != nil {
			return nil, nil, err
		}
	}
	s.warnings = append(s.warnings, sc.warnings...)
	return out, why, nil
}

// checkRemovedContracts reports contracted models of the state that are
// deleted, renamed or disabled in the current manifest
// (ModelNode.same_contract_removed).
func (sc *stateCache) checkRemovedContracts(g *Graph) error {
	sx := sc.sx
	disabled := map[string]bool{}
	for _, uid := range g.m.DisabledIDs() {
		disabled[uid] = true
	}
	for i, uid := range sx.ids {
		if sx.section[i] != secNodes {
			continue
		}
		// still there
		var present bool
		if sx.hint == g.ix {
			present = sx.entries[i].hintPos >= 0
		} else {
			_, present = g.ix.posOf(uid)
		}
		if present && !disabled[uid] {
			continue
		}
		if resourceTypeOf(sx, int32(i)) != "model" {
			continue
		}
		e := &sx.entries[i]
		if en, _ := contractOf(sx.data, e); !en {
			continue
		}
		if dd := strVal(sx.data, e.get(fDeprecationDate)); dd != "" {
			continue // conservatively: a model with a deprecation date may be past it
		}
		change := fmt.Sprintf("Contracted model '%s' was deleted or renamed.", uid)
		if disabled[uid] {
			change = fmt.Sprintf("Contracted model '%s' was disabled.", uid)
		}
		if _, versioned := scalarVal(sx.data, e.get(fVersion)); versioned {
			return diag.Errorf(CodeContract, diag.Location{UniqueID: uid},
				"While comparing to previous project state, dbt detected a breaking change to an enforced contract.\n  - %s", change)
		}
		sc.warn("removed:"+uid, diag.Warning(CodeContract, diag.Location{UniqueID: uid},
			"Breaking change to contracted, unversioned model %s: %s", strVal(sx.data, e.get(fName)), change))
	}
	return nil
}
