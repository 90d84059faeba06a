package resolve

import (
	"strings"

	"github.com/dbtdefer/dbtdefer/resolve/deferral"
	"github.com/dbtdefer/dbtdefer/resolve/diag"
)

// CallOptions are the defer flags every resolve, explain and compile call of
// the JS API and the Worker shares, as their JSON carries them; they mirror
// the CLI's project flags. Embed it in a request and call Options.
type CallOptions struct {
	Defer   string `json:"defer"`   // off (default), standard, favor-state
	Profile string `json:"profile"` // auto (default), legacy, modern, fusion
	// Select is dbt's --select: absent selects the node itself, [] nothing.
	Select       *[]string `json:"select"`
	Exclude      []string  `json:"exclude"`
	Unknown      string    `json:"unknown"` // missing (default) or present
	PackageFirst bool      `json:"packageFirst"`
}

// Options checks the flags and turns them into Options.
func (c CallOptions) Options() (Options, error) {
	var opt Options
	var err error
	if opt.Defer, err = deferral.ParseMode(c.Defer); err != nil {
		return opt, err
	}
	if opt.Profile, err = deferral.ParseProfile(c.Profile); err != nil {
		return opt, err
	}
	switch c.Unknown {
	case "", "missing":
	case "present":
		opt.UnknownPresent = true
	default:
		return opt, diag.Errorf("options.unknown", diag.Location{Suggestion: diag.Closest(c.Unknown, []string{"missing", "present"})},
			"unknown must be \"missing\" or \"present\", got %q", c.Unknown)
	}
	if c.Select != nil {
		opt.Select = NonBlank(*c.Select)
	}
	opt.Exclude = NonBlank(c.Exclude)
	opt.PackageFirst = c.PackageFirst
	return opt, nil
}

// NonBlank drops blank selection words, as the CLI does (” selects nothing).
func NonBlank(words []string) []string {
	blank := false
	for _, w := range words {
		blank = blank || strings.TrimSpace(w) == ""
	}
	if !blank && words != nil {
		return words // the common case: nothing to drop, nothing to copy
	}
	out := []string{}
	for _, w := range words {
		if strings.TrimSpace(w) != "" {
			out = append(out, w)
		}
	}
	return out
}
