package relation

import (
	"errors"
	"fmt"
	"strings"
)

// DuckDBExternalLocation formats a dbt-duckdb source's external_location the
// way DuckDBRelation.create_from_source does, giving the string to put in
// [Source].External. template is meta.external_location (source meta merged
// with config extras); formatter is meta.formatter ("newstyle" when empty,
// "oldstyle" or "template"); vars holds name, identifier, schema, database
// and the meta keys as Python would print them. The result is wrapped in
// single quotes unless it contains "(" (a function call such as
// read_csv(...)) or already starts with one.
//
// Only plain field references are supported ({key}, %(key)s, $key, ${key});
// anything else (format specs, attribute access) is an error, and so is a
// missing key.
func DuckDBExternalLocation(template, formatter string, vars map[string]string) (string, error) {
	var (
		loc string
		err error
	)
	switch formatter {
	case "", "newstyle":
		loc, err = formatNewStyle(template, vars)
	case "oldstyle":
		loc, err = formatOldStyle(template, vars)
	case "template":
		loc, err = formatTemplate(template, vars)
	default:
		return "", errors.New("Formatter " + formatter + " not recognized. Must be one of 'newstyle', 'oldstyle', or 'template'.")
	}
	if err != nil {
		return "", err
	}
	if !strings.Contains(loc, "(") && !strings.HasPrefix(loc, "'") {
		loc = "'" + loc + "'"
	}
	return loc, nil
}

// DuckDBSourceExternal is what dbt-duckdb's DuckDBRelation.create_from_source
// renders for a source instead of its database.schema.identifier, when its
// meta (merged with the source config's extra keys, as SourceConfig does)
// has an external_location; "" otherwise. schema and database are nil when
// null (formatted as Python's None).
func DuckDBSourceExternal(meta, config map[string]any, name, identifier string, schema, database *string) (string, error) {
	merged := map[string]any{}
	for k, v := range meta {
		merged[k] = v
	}
	for k, v := range config {
		switch k { // SourceConfig's own fields are not extras
		case "enabled", "event_time", "freshness", "loaded_at_field", "loaded_at_query", "meta", "tags", "static_analysis":
			continue
		}
		merged[k] = v
	}
	t, ok := merged["external_location"].(string)
	if !ok {
		return "", nil
	}
	orNone := func(s *string) string {
		if s == nil {
			return "None"
		}
		return *s
	}
	vars := map[string]string{"name": name, "identifier": identifier, "schema": orNone(schema), "database": orNone(database)}
	for k, v := range merged {
		vars[k] = fmt.Sprint(v)
	}
	f, _ := merged["formatter"].(string)
	return DuckDBExternalLocation(t, f, vars)
}

var errUnsupportedFormat = errors.New("relation: unsupported external_location format")

func lookupVar(vars map[string]string, k string) (string, error) {
	v, ok := vars[k]
	if !ok {
		return "", errors.New("relation: external_location refers to unknown key " + k)
	}
	return v, nil
}

func formatNewStyle(t string, vars map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '{' && i+1 < len(t) && t[i+1] == '{', c == '}' && i+1 < len(t) && t[i+1] == '}':
			b.WriteByte(c)
			i++
		case c == '{':
			end := strings.IndexByte(t[i:], '}')
			if end < 0 {
				return "", errUnsupportedFormat
			}
			key := t[i+1 : i+end]
			if key == "" || strings.ContainsAny(key, ".[!:{") {
				return "", errUnsupportedFormat
			}
			v, err := lookupVar(vars, key)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		case c == '}':
			return "", errUnsupportedFormat
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func formatOldStyle(t string, vars map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(t) && t[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if i+1 >= len(t) || t[i+1] != '(' {
			return "", errUnsupportedFormat
		}
		end := strings.IndexByte(t[i:], ')')
		if end < 0 || i+end+1 >= len(t) || t[i+end+1] != 's' {
			return "", errUnsupportedFormat
		}
		v, err := lookupVar(vars, t[i+2:i+end])
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		i += end + 1
	}
	return b.String(), nil
}

func isIdentByte(c byte, first bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

func formatTemplate(t string, vars map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		switch {
		case i+1 < len(t) && t[i+1] == '$':
			b.WriteByte('$')
			i++
		case i+1 < len(t) && t[i+1] == '{':
			end := strings.IndexByte(t[i:], '}')
			if end < 0 {
				return "", errUnsupportedFormat
			}
			v, err := lookupVar(vars, t[i+2:i+end])
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		case i+1 < len(t) && isIdentByte(t[i+1], true):
			j := i + 1
			for j < len(t) && isIdentByte(t[j], false) {
				j++
			}
			v, err := lookupVar(vars, t[i+1:j])
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i = j - 1
		default:
			return "", errUnsupportedFormat
		}
	}
	return b.String(), nil
}
