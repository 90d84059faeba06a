package compile

import (
	"sync"

	"github.com/dbtdefer/dbtdefer/resolve/jinja"
)

// tmplCache keeps parsed templates by source text, bounded so that a live
// editor's stream of buffers does not grow it forever.
type tmplCache struct {
	mu sync.Mutex
	m  map[string]*jinja.Template
}

const maxTemplates = 4096

func (c *tmplCache) parse(name, src string) (*jinja.Template, error) {
	key := name + "\x00" + src
	c.mu.Lock()
	t := c.m[key]
	c.mu.Unlock()
	if t != nil {
		return t, nil
	}
	t, err := jinja.Parse(name, src)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxTemplates {
		c.m = map[string]*jinja.Template{}
	}
	c.m[key] = t
	c.mu.Unlock()
	return t, nil
}
