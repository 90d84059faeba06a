package protocol

import (
	"encoding/json"
	"sync"
	"unicode/utf16"
)

// warming is where Warm's exercise calls are.
type warming struct {
	mu                sync.Mutex
	exercised         int
	req               []byte
	analyze, complete []byte // nil: no model to exercise them on
}

// Warm warms the project a step of about n units and returns how many are
// left (0: done). A host calls it in slices while its thread is idle: the
// engine's heads (resolve.Project.Warm), then exerciseCalls resolve calls
// and exerciseLangCalls analyze and complete calls each, then, in one step, the graph and the changes against the state that
// nodes, node and lineage read. A panic ends warming (what panics is the
// call's to report, when it is asked).
func (p *Project) Warm(n int) (left int) {
	defer func() {
		if recover() != nil {
			left = 0
		}
	}()
	if left = p.Project.Warm(n); left > 0 {
		return left + exerciseTotal + 1
	}
	if left = p.exercise(n); left > 0 {
		return left + 1
	}
	p.PrepareNavigation() // once: it builds each part once
	return 0
}

// exerciseCalls is how many resolve calls Warm makes once the heads are
// warm (see exercise), and exerciseLangCalls how many analyze and as many
// complete calls follow them: an editor's language service makes those at
// every keystroke, and in baseline code their first few hundred had a p95
// twice their p95 once optimized (1.9 ms after 600 calls, 4 ms before, at
// 100 MB in Chromium's Web Worker).
const (
	exerciseCalls     = 1500
	exerciseLangCalls = 300
	exerciseTotal     = exerciseCalls + 2*exerciseLangCalls
)

// exercise makes up to n of the project's exerciseTotal calls and
// returns how many are left. Their answers are dropped: what they leave is
// machine code. V8 compiles a wasm function with its baseline compiler
// first and again with its optimizing one once it has run enough, so the
// first calls after an open ran the resolve path in baseline code, about
// twice as slow. The calls resolve one ref (the first ref name, from no
// node, favor-state with a state), through the request, the resolution and
// the answer's JSON, as a call from the JS API does (about 0.1 s in all in
// Chromium, in the host's idle slices); then analyze and complete calls on a
// model's code. Natively it costs little and changes nothing.
func (p *Project) exercise(n int) int {
	w := &p.warm
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.req == nil && w.exercised < exerciseTotal {
		names := p.Dev.RefNames()
		if len(names) == 0 {
			w.exercised = exerciseTotal
			return 0
		}
		name, _ := json.Marshal(names[0])
		mode := "off"
		if p.State != nil {
			mode = "favor-state"
		}
		w.req = []byte(`{"refs":[` + string(name) + `],"defer":"` + mode + `"}`)
		for _, name := range names[:min(len(names), 200)] {
			if w.analyze, w.complete = p.langExercise(name, mode); w.analyze != nil {
				break
			}
		}
	}
	resolveCall, analyzeCall, completeCall := calls["resolve"], calls["analyze"], calls["complete"]
	for ; n > 0 && w.exercised < exerciseTotal; n-- {
		i := w.exercised
		w.exercised++
		switch {
		case i < exerciseCalls:
			if _, err := resolveCall.Do(p, w.req); err != nil {
				w.exercised = exerciseCalls // an ambiguous name: not the path worth exercising
			}
		case w.analyze == nil:
			w.exercised = exerciseTotal
		case (i-exerciseCalls)%2 == 0:
			analyzeCall.Do(p, w.analyze)
		default:
			completeCall.Do(p, w.complete)
		}
	}
	return exerciseTotal - w.exercised
}

// langExercise are the analyze and complete requests Warm exercises: the
// raw code of the model name (nil unless it is a model with code), and a
// ref( being typed at its end.
func (p *Project) langExercise(name, mode string) (analyze, complete []byte) {
	n, err := p.FindNode(name)
	if err != nil || n.ResourceType != "model" {
		return nil, nil
	}
	full, err := p.Dev.Node(n.UniqueID)
	if err != nil || full.RawCode == "" {
		return nil, nil
	}
	typed := full.RawCode + "\nselect * from {{ ref('" + name[:min(len(name), 3)]
	a, _ := json.Marshal(map[string]any{"model": n.UniqueID, "sql": full.RawCode, "defer": mode})
	c, _ := json.Marshal(map[string]any{"model": n.UniqueID, "sql": typed, "offset": len(utf16.Encode([]rune(typed))), "defer": mode})
	return a, c
}
