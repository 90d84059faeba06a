package compile

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/dbtdefer/dbtdefer/resolve/diag"
	"github.com/dbtdefer/dbtdefer/resolve/jinja"
	"gopkg.in/yaml.v3"
)

func sortStrings(s []string) { sort.Strings(s) }

func (s *session) runStartedAt() time.Time {
	v := s.opt.RunStartedAt
	if v == "" {
		v = s.c.m.Meta.RunStartedAt
	}
	if v == "" {
		// dbt 1.11 first records run_started_at; before, the manifest's
		// generation time stands in, some seconds after the run started.
		s.dependOutside("run_started_at (not in this manifest's metadata: generated_at stands in)", diag.Location{})
		v = s.c.m.Meta.GeneratedAt
	}
	return parseTime(v)
}

// parseTime reads the timestamps of manifest metadata and options (the Unix
// epoch when unreadable).
func parseTime(v string) time.Time {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999Z", "2006-01-02 15:04:05.999999", "2006-01-02T15:04:05.999999", "2006-01-02"} {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}

// dtObj is a Python datetime (UTC-aware when tz is set).
type dtObj struct {
	t     time.Time
	tz    bool
	date  bool
	delta time.Duration
	isDel bool
}

func newDatetime(t time.Time) *dtObj { return &dtObj{t: t, tz: true} }

func (d *dtObj) String() string {
	if d.isDel {
		return pyTimedelta(d.delta)
	}
	if d.date {
		return d.t.Format("2006-01-02")
	}
	s := d.t.Format("2006-01-02 15:04:05")
	if d.t.Nanosecond() != 0 {
		s += fmt.Sprintf(".%06d", d.t.Nanosecond()/1000)
	}
	if d.tz {
		s += "+00:00"
	}
	return s
}

// pyTimedelta is str(datetime.timedelta): "[-]D day[s], H:MM:SS[.ffffff]",
// days floored so the clock part is never negative (str(-timedelta(seconds=1))
// is "-1 day, 23:59:59").
func pyTimedelta(d time.Duration) string {
	us := int64(d / time.Microsecond)
	const day = 86400 * 1e6
	days := us / day
	rem := us % day
	if rem < 0 {
		rem += day
		days--
	}
	s := fmt.Sprintf("%d:%02d:%02d", rem/3600e6, rem/60e6%60, rem/1e6%60)
	if f := rem % 1e6; f != 0 {
		s += fmt.Sprintf(".%06d", f)
	}
	if days != 0 {
		unit := "days"
		if days == 1 || days == -1 {
			unit = "day"
		}
		s = fmt.Sprintf("%d %s, %s", days, unit, s)
	}
	return s
}

// BinaryOp is Python's datetime arithmetic: datetime/date ± timedelta,
// datetime − datetime and date − date (a timedelta), timedelta ± timedelta,
// timedelta × or ÷ a number, and -timedelta via 0 − d is not needed by
// templates. Anything else is Python's TypeError (ok false).
func (d *dtObj) BinaryOp(op string, other jinja.Value, right bool) (jinja.Value, bool, error) {
	o, isDT := other.Object().(*dtObj)
	isDT = isDT && other.Kind() == jinja.KindObject
	switch {
	case d.isDel && isDT && o.isDel && (op == "+" || op == "-"):
		a, b := d.delta, o.delta
		if right {
			a, b = b, a
		}
		if op == "-" {
			b = -b
		}
		return jinja.ObjectValue(&dtObj{delta: a + b, isDel: true}), true, nil
	case d.isDel && isDT && !o.isDel && (op == "+" || op == "-" && right):
		// datetime + timedelta, timedelta + datetime, datetime - timedelta
		return jinja.ObjectValue(o.shift(d.delta, op == "-")), true, nil
	case !d.isDel && isDT && o.isDel && !right && (op == "+" || op == "-"):
		return jinja.ObjectValue(d.shift(o.delta, op == "-")), true, nil
	case !d.isDel && isDT && !o.isDel && op == "-" && d.date == o.date && (d.date || d.tz == o.tz):
		a, b := d.t, o.t
		if right {
			a, b = b, a
		}
		return jinja.ObjectValue(&dtObj{delta: a.Sub(b), isDel: true}), true, nil
	case d.isDel && (other.Kind() == jinja.KindInt || other.Kind() == jinja.KindFloat) && (op == "*" || op == "/" && !right):
		f := other.AsFloat()
		if op == "/" {
			if f == 0 {
				return jinja.Value{}, false, diag.Errorf("jinja.value", diag.Location{}, "division by zero")
			}
			f = 1 / f
		}
		return jinja.ObjectValue(&dtObj{delta: time.Duration(float64(d.delta) * f), isDel: true}), true, nil
	}
	return jinja.Value{}, false, nil
}

// shift adds (or subtracts) a timedelta; a date moves by whole days only.
func (d *dtObj) shift(delta time.Duration, minus bool) *dtObj {
	if d.date {
		delta = time.Duration(floorDays(delta)) * 24 * time.Hour
	}
	if minus {
		delta = -delta
	}
	return &dtObj{t: d.t.Add(delta), tz: d.tz, date: d.date}
}

// Compare orders datetimes with datetimes and timedeltas with timedeltas.
func (d *dtObj) Compare(other jinja.Value) (int, bool) {
	o, ok := other.Object().(*dtObj)
	if !ok || other.Kind() != jinja.KindObject || o.isDel != d.isDel || !d.isDel && o.date != d.date {
		return 0, false
	}
	if d.isDel {
		return cmpInt(int64(d.delta), int64(o.delta)), true
	}
	return d.t.Compare(o.t), true
}

// Equal is == between datetimes (or timedeltas) by value.
func (d *dtObj) Equal(other jinja.Value) bool {
	c, ok := d.Compare(other)
	return ok && c == 0
}

// floorDays is timedelta.days: whole days, floored.
func floorDays(d time.Duration) int64 {
	const day = 24 * time.Hour
	n := int64(d / day)
	if d%day < 0 {
		n--
	}
	return n
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (d *dtObj) GetAttr(name string) (jinja.Value, bool) {
	t := d.t
	switch name {
	case "year":
		return jinja.Int(int64(t.Year())), true
	case "month":
		return jinja.Int(int64(t.Month())), true
	case "day":
		return jinja.Int(int64(t.Day())), true
	case "hour":
		return jinja.Int(int64(t.Hour())), true
	case "minute":
		return jinja.Int(int64(t.Minute())), true
	case "second":
		return jinja.Int(int64(t.Second())), true
	case "microsecond":
		return jinja.Int(int64(t.Nanosecond() / 1000)), true
	case "days":
		return jinja.Int(floorDays(d.delta)), true
	case "seconds":
		if d.isDel {
			return jinja.Int(int64((d.delta - time.Duration(floorDays(d.delta))*24*time.Hour) / time.Second)), true
		}
	case "microseconds":
		if d.isDel {
			return jinja.Int(int64((d.delta % time.Second) / time.Microsecond)), true
		}
	case "strftime":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			f, _ := argStr(a, kw, 0, "format")
			return jinja.Str(strftime(t, f)), nil
		}), true
	case "isoformat":
		return fn(func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) {
			return jinja.Str(strings.Replace(d.String(), " ", "T", 1)), nil
		}), true
	case "date":
		return constFn(jinja.ObjectValue(&dtObj{t: t, date: true})), true
	case "timestamp":
		return constFn(jinja.Float(float64(t.UnixNano()) / 1e9)), true
	case "astimezone", "replace":
		return constFn(jinja.ObjectValue(d)), true
	case "weekday":
		return constFn(jinja.Int(int64((int(t.Weekday()) + 6) % 7))), true
	case "total_seconds":
		return constFn(jinja.Float(d.delta.Seconds())), true
	}
	return jinja.Value{}, false
}

func strftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'f':
			fmt.Fprintf(&b, "%06d", t.Nanosecond()/1000)
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'B':
			b.WriteString(t.Month().String())
		case 'b':
			b.WriteString(t.Month().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'z':
			b.WriteString("+0000")
		case 'Z':
			b.WriteString("UTC")
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

// modulesValue is dbt's `modules`. Its clock (datetime.now, utcnow, today,
// date.today) is the real one unless Options.Now pins it; either way the
// time is not in the inputs, so a render that reads it is not
// self-contained.
func (s *session) modulesValue() jinja.Value {
	if s.modules.Kind() == jinja.KindUndefined {
		clock := func() time.Time { return time.Now().UTC() }
		if s.opt.Now != "" {
			t := parseTime(s.opt.Now)
			clock = func() time.Time { return t }
		}
		s.modules = buildModules(func() time.Time {
			s.dependOutside("modules.datetime's clock (dbt renders the time of its run)", diag.Location{})
			return clock()
		})
	}
	return s.modules
}

func buildModules(clock func() time.Time) jinja.Value {
	now := func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) {
		return jinja.ObjectValue(&dtObj{t: clock()}), nil
	}
	dtClass := &dictObj{name: "datetime.datetime", attrs: map[string]jinja.Value{
		"now": fn(now), "utcnow": fn(now), "today": fn(now),
	}}
	dtClass.attrs["strptime"] = fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
		s, _ := argStr(a, kw, 0, "date_string")
		f, _ := argStr(a, kw, 1, "format")
		t, err := time.Parse(pyToGoLayout(f), s)
		if err != nil {
			return jinja.Value{}, diag.Errorf("jinja.value", diag.Location{}, "time data %q does not match format %q", s, f)
		}
		return jinja.ObjectValue(&dtObj{t: t}), nil
	})
	mkDate := func(date bool) jinja.Func {
		return func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			get := func(i int, n string, d int) int {
				if v, ok := arg(a, kw, i, n); ok {
					return int(v.AsInt())
				}
				return d
			}
			t := time.Date(get(0, "year", 1970), time.Month(get(1, "month", 1)), get(2, "day", 1), get(3, "hour", 0), get(4, "minute", 0), get(5, "second", 0), 0, time.UTC)
			return jinja.ObjectValue(&dtObj{t: t, date: date}), nil
		}
	}
	dateClass := &dictObj{name: "datetime.date", attrs: map[string]jinja.Value{"today": fn(func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) {
		t := clock()
		return jinja.ObjectValue(&dtObj{t: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), date: true}), nil
	})}}
	dtCallable := &callableObj{dictObj: dtClass, f: mkDate(false)}
	dateCallable := &callableObj{dictObj: dateClass, f: mkDate(true)}
	timedelta := fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
		var d time.Duration
		units := map[string]time.Duration{"days": 24 * time.Hour, "seconds": time.Second, "microseconds": time.Microsecond, "milliseconds": time.Millisecond, "minutes": time.Minute, "hours": time.Hour, "weeks": 7 * 24 * time.Hour}
		order := []string{"days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"}
		for i, v := range a {
			if i < len(order) {
				d += time.Duration(v.AsFloat() * float64(units[order[i]]))
			}
		}
		for _, k := range kw {
			d += time.Duration(k.Value.AsFloat() * float64(units[k.Name]))
		}
		return jinja.ObjectValue(&dtObj{delta: d, isDel: true}), nil
	})
	datetimeMod := &dictObj{name: "module 'datetime'", attrs: map[string]jinja.Value{
		"datetime": jinja.ObjectValue(dtCallable), "date": jinja.ObjectValue(dateCallable), "timedelta": timedelta,
		"timezone": jinja.ObjectValue(&dictObj{name: "timezone", attrs: map[string]jinja.Value{"utc": jinja.Str("UTC")}}),
	}}
	pytz := &dictObj{name: "module 'pytz'", attrs: map[string]jinja.Value{
		"utc": jinja.Str("UTC"), "UTC": jinja.Str("UTC"),
		"timezone": fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			v, _ := arg(a, kw, 0, "zone")
			return v, nil
		}),
	}}
	return jinja.ObjectValue(&dictObj{name: "modules", attrs: map[string]jinja.Value{
		"datetime": jinja.ObjectValue(datetimeMod), "pytz": jinja.ObjectValue(pytz),
		"re": jinja.ObjectValue(reModule()), "itertools": jinja.ObjectValue(itertoolsModule()),
	}})
}

type callableObj struct {
	*dictObj
	f jinja.Func
}

func (c *callableObj) Call(st *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	return c.f(st, a, kw)
}

func pyToGoLayout(f string) string {
	r := strings.NewReplacer("%Y", "2006", "%m", "01", "%d", "02", "%H", "15", "%M", "04", "%S", "05", "%f", "000000", "%y", "06", "%b", "Jan", "%B", "January", "%z", "-0700", "%Z", "MST")
	return r.Replace(f)
}

// reModule is a subset of Python's re on Go's regexp (RE2: no backreferences
// or lookaround; such patterns fail with a clear error).
func reModule() *dictObj {
	flagsOf := func(a []jinja.Value, kw []jinja.KwArg, i int) string {
		v, ok := arg(a, kw, i, "flags")
		if !ok {
			return ""
		}
		f := v.AsInt()
		s := ""
		if f&2 != 0 {
			s += "i"
		}
		if f&8 != 0 {
			s += "m"
		}
		if f&16 != 0 {
			s += "s"
		}
		if s != "" {
			return "(?" + s + ")"
		}
		return ""
	}
	compile := func(p, flags string) (*regexp.Regexp, error) {
		re, err := regexp.Compile(flags + pyRegex(p))
		if err != nil {
			return nil, diag.Errorf("jinja.value", diag.Location{}, "re: pattern %q is not supported by dbtdefer's regex engine: %v", p, err)
		}
		return re, nil
	}
	var m *dictObj
	call := func(op string) jinja.Value {
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			pat, _ := arg(a, kw, 0, "pattern")
			var re *regexp.Regexp
			var err error
			argi := 1
			if po, ok := pat.Object().(*patternObj); ok && pat.Kind() == jinja.KindObject {
				re = po.re
			} else {
				fi := 2
				if op == "sub" {
					fi = 4
				}
				re, err = compile(pat.String(), flagsOf(a, kw, fi))
				if err != nil {
					return jinja.Value{}, err
				}
			}
			return reOp(op, re, a[argi:], kw)
		})
	}
	m = &dictObj{name: "module 're'", attrs: map[string]jinja.Value{
		"match": call("match"), "search": call("search"), "fullmatch": call("fullmatch"), "findall": call("findall"),
		"sub": call("sub"), "split": call("split"),
		"IGNORECASE": jinja.Int(2), "I": jinja.Int(2), "MULTILINE": jinja.Int(8), "M": jinja.Int(8), "DOTALL": jinja.Int(16), "S": jinja.Int(16),
		"escape": fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			s, _ := argStr(a, kw, 0, "pattern")
			return jinja.Str(regexp.QuoteMeta(s)), nil
		}),
	}}
	m.attrs["compile"] = fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
		p, _ := argStr(a, kw, 0, "pattern")
		re, err := compile(p, flagsOf(a, kw, 1))
		if err != nil {
			return jinja.Value{}, err
		}
		return jinja.ObjectValue(&patternObj{re: re, src: p}), nil
	})
	return m
}

func pyRegex(p string) string {
	// Python's named groups (?P<name>…) are RE2's too; \Z is \z.
	return strings.ReplaceAll(p, `\Z`, `\z`)
}

type patternObj struct {
	re  *regexp.Regexp
	src string
}

func (p *patternObj) String() string { return "re.compile('" + p.src + "')" }
func (p *patternObj) GetAttr(name string) (jinja.Value, bool) {
	switch name {
	case "match", "search", "fullmatch", "findall", "sub", "split":
		return fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			return reOp(name, p.re, a, kw)
		}), true
	case "pattern":
		return jinja.Str(p.src), true
	}
	return jinja.Value{}, false
}

func reOp(op string, re *regexp.Regexp, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	switch op {
	case "sub":
		repl, _ := argStr(a, kw, 0, "repl")
		s, _ := argStr(a, kw, 1, "string")
		repl = regexp.MustCompile(`\\(\d)`).ReplaceAllString(repl, "$${$1}")
		return jinja.Str(re.ReplaceAllString(s, repl)), nil
	}
	s, _ := argStr(a, kw, 0, "string")
	switch op {
	case "findall":
		var out []jinja.Value
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			switch len(m) {
			case 1:
				out = append(out, jinja.Str(m[0]))
			case 2:
				out = append(out, jinja.Str(m[1]))
			default:
				g := make([]jinja.Value, len(m)-1)
				for i := range g {
					g[i] = jinja.Str(m[i+1])
				}
				out = append(out, jinja.NewTuple(g...))
			}
		}
		return jinja.NewList(out...), nil
	case "split":
		parts := re.Split(s, -1)
		out := make([]jinja.Value, len(parts))
		for i, p := range parts {
			out[i] = jinja.Str(p)
		}
		return jinja.NewList(out...), nil
	}
	loc := re.FindStringSubmatchIndex(s)
	if loc == nil || op == "match" && loc[0] != 0 || op == "fullmatch" && (loc[0] != 0 || loc[1] != len(s)) {
		if op != "search" && loc != nil {
			// retry anchored
			anch := regexp.MustCompile(`^(?:` + re.String() + `)`)
			if op == "fullmatch" {
				anch = regexp.MustCompile(`^(?:` + re.String() + `)$`)
			}
			loc = anch.FindStringSubmatchIndex(s)
			if loc == nil {
				return jinja.None(), nil
			}
		} else {
			return jinja.None(), nil
		}
	}
	return jinja.ObjectValue(&matchObj{s: s, loc: loc}), nil
}

type matchObj struct {
	s   string
	loc []int
}

func (m *matchObj) String() string { return "<re.Match object>" }
func (m *matchObj) group(i int) jinja.Value {
	if 2*i+1 >= len(m.loc) || m.loc[2*i] < 0 {
		return jinja.None()
	}
	return jinja.Str(m.s[m.loc[2*i]:m.loc[2*i+1]])
}
func (m *matchObj) GetAttr(name string) (jinja.Value, bool) {
	switch name {
	case "group":
		return fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
			if len(a) == 0 {
				return m.group(0), nil
			}
			if len(a) == 1 {
				return m.group(int(a[0].AsInt())), nil
			}
			out := make([]jinja.Value, len(a))
			for i, x := range a {
				out[i] = m.group(int(x.AsInt()))
			}
			return jinja.NewTuple(out...), nil
		}), true
	case "groups":
		return fn(func(*jinja.State, []jinja.Value, []jinja.KwArg) (jinja.Value, error) {
			n := len(m.loc)/2 - 1
			out := make([]jinja.Value, n)
			for i := range out {
				out[i] = m.group(i + 1)
			}
			return jinja.NewTuple(out...), nil
		}), true
	case "start":
		return constFn(jinja.Int(int64(m.loc[0]))), true
	case "end":
		return constFn(jinja.Int(int64(m.loc[1]))), true
	}
	return jinja.Value{}, false
}

func itertoolsModule() *dictObj {
	return &dictObj{name: "module 'itertools'", attrs: map[string]jinja.Value{
		"chain": fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
			var out []jinja.Value
			for _, x := range a {
				out = append(out, iterValues(x)...)
			}
			return jinja.NewList(out...), nil
		}),
		"product": fn(func(_ *jinja.State, a []jinja.Value, _ []jinja.KwArg) (jinja.Value, error) {
			res := [][]jinja.Value{{}}
			for _, x := range a {
				var next [][]jinja.Value
				for _, r := range res {
					for _, y := range iterValues(x) {
						next = append(next, append(append([]jinja.Value{}, r...), y))
					}
				}
				res = next
			}
			out := make([]jinja.Value, len(res))
			for i, r := range res {
				out[i] = jinja.NewTuple(r...)
			}
			return jinja.NewList(out...), nil
		}),
		"combinations": fn(func(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
			it, _ := arg(a, kw, 0, "iterable")
			rv, _ := arg(a, kw, 1, "r")
			items := iterValues(it)
			r := int(rv.AsInt())
			var out []jinja.Value
			var rec func(start int, cur []jinja.Value)
			rec = func(start int, cur []jinja.Value) {
				if len(cur) == r {
					out = append(out, jinja.NewTuple(append([]jinja.Value{}, cur...)...))
					return
				}
				for i := start; i < len(items); i++ {
					rec(i+1, append(cur, items[i]))
				}
			}
			if r >= 0 && r <= len(items) {
				rec(0, nil)
			}
			return jinja.NewList(out...), nil
		}),
	}}
}

func fromYAMLFunc(_ *jinja.State, a []jinja.Value, kw []jinja.KwArg) (jinja.Value, error) {
	s, _ := argStr(a, kw, 0, "value")
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil {
		d, _ := arg(a, kw, 1, "default")
		if d.IsUndefined() {
			return jinja.None(), nil
		}
		return d, nil
	}
	v, err := YAMLToGoLimited(&n, MaxYAMLValues)
	if err != nil {
		return jinja.Value{}, err
	}
	return fromGo(v), nil
}

// MaxYAMLValues bounds the values one YAML document may expand to. Aliases
// are expanded (each use is a copy), so a few hundred bytes of nested
// aliases ("billion laughs") would otherwise expand for ever.
const MaxYAMLValues = 100_000

// CodeYAMLTooLarge is the error for a document over MaxYAMLValues.
const CodeYAMLTooLarge = "yaml.too_large"

// YAMLToGo converts a yaml.v3 node to Go data, keeping mapping order; a
// document over MaxYAMLValues values gives nil.
func YAMLToGo(n *yaml.Node) any {
	v, _ := YAMLToGoLimited(n, MaxYAMLValues)
	return v
}

// YAMLToGoLimited is YAMLToGo with an error once more than max values
// (scalars, lists, mappings; alias uses counted again) have been made.
func YAMLToGoLimited(n *yaml.Node, max int) (any, error) {
	left := max
	v := yamlToGo(n, &left)
	if left < 0 {
		return nil, diag.Errorf(CodeYAMLTooLarge, diag.Location{Line: n.Line, Column: n.Column},
			"YAML document expands to more than %d values (aliases are copied at each use)", max)
	}
	return v, nil
}

func yamlToGo(n *yaml.Node, left *int) any {
	if *left--; *left < 0 {
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return yamlToGo(n.Content[0], left)
	case yaml.AliasNode:
		return yamlToGo(n.Alias, left)
	case yaml.MappingNode:
		om := &OrderedMap{Values: map[string]any{}}
		for i := 0; i+1 < len(n.Content) && *left >= 0; i += 2 {
			k := n.Content[i].Value
			if _, dup := om.Values[k]; !dup {
				om.Keys = append(om.Keys, k)
			}
			om.Values[k] = yamlToGo(n.Content[i+1], left)
		}
		return om
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			if *left < 0 {
				break
			}
			out[i] = yamlToGo(c, left)
		}
		return out
	case yaml.ScalarNode:
		var x any
		if err := n.Decode(&x); err != nil {
			return n.Value
		}
		if i, ok := x.(int); ok {
			return int64(i)
		}
		return x
	}
	return nil
}
