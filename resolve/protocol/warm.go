package protocol

import (
	"encoding/json"
	"sync"
)

// warming is where Warm's exercise calls are.
type warming struct {
	mu        sync.Mutex
	exercised int
	req       []byte
}

// Warm warms the project a step of about n units and returns how many are
// left (0: done). A host calls it in slices while its thread is idle: the
// engine's heads (resolve.Project.Warm), then exerciseCalls resolve calls,
// then, in one step, the graph and the changes against the state that
// nodes, node and lineage read. A panic ends warming (what panics is the
// call's to report, when it is asked).
func (p *Project) Warm(n int) (left int) {
	defer func() {
		if recover() != nil {
			left = 0
		}
	}()
	if left = p.Project.Warm(n); left > 0 {
		return left + exerciseCalls + 1
	}
	if left = p.exercise(n); left > 0 {
		return left + 1
	}
	p.PrepareNavigation() // once: it builds each part once
	return 0
}

// exerciseCalls is how many resolve calls Warm makes once the heads are
// warm (see exercise).
const exerciseCalls = 1500

// exercise makes up to n of the project's exerciseCalls resolve calls and
// returns how many are left. Their answers are dropped: what they leave is
// machine code. V8 compiles a wasm function with its baseline compiler
// first and again with its optimizing one once it has run enough, so the
// first calls after an open ran the resolve path in baseline code, about
// twice as slow. The calls resolve one ref (the first ref name, from no
// node, favor-state with a state), through the request, the resolution and
// the answer's JSON, as a call from the JS API does (about 0.1 s in all in
// Chromium, in the host's idle slices). Natively it costs little and
// changes nothing.
func (p *Project) exercise(n int) int {
	w := &p.warm
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.req == nil && w.exercised < exerciseCalls {
		names := p.Dev.RefNames()
		if len(names) == 0 {
			w.exercised = exerciseCalls
			return 0
		}
		name, _ := json.Marshal(names[0])
		mode := "off"
		if p.State != nil {
			mode = "favor-state"
		}
		w.req = []byte(`{"refs":[` + string(name) + `],"defer":"` + mode + `"}`)
	}
	resolveCall := calls["resolve"]
	for ; n > 0 && w.exercised < exerciseCalls; n-- {
		w.exercised++
		if _, err := resolveCall.Do(p, w.req); err != nil {
			w.exercised = exerciseCalls // an ambiguous name: not the path worth exercising
		}
	}
	return exerciseCalls - w.exercised
}
