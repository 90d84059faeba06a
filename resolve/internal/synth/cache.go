package synth

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dbtdefer/dbtdefer/resolve/internal/corpus"
)

// Pair returns a synthetic dev/prod manifest pair of about mb megabytes each,
// generated from the curated jaffle-shop pair's dev manifest and cached under
// the repository's .cache directory (regenerated when missing).
func Pair(mb int) (dev, prod []byte, err error) {
	base, err := os.ReadFile(filepath.Join(corpus.Curated(), "defer-jaffle-shop-postgres", "dev", "manifest.json"))
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(corpus.Root(), ".cache", "synth")
	os.MkdirAll(dir, 0o755)
	get := func(name string, opt Options) ([]byte, error) {
		p := filepath.Join(dir, name)
		if b, err := os.ReadFile(p); err == nil {
			return b, nil
		}
		b, err := Generate(base, opt)
		if err != nil {
			return nil, err
		}
		os.WriteFile(p, b, 0o644)
		return b, nil
	}
	dev, err = get(fmt.Sprintf("dev-%dmb.json", mb), Options{TargetBytes: mb << 20})
	if err != nil {
		return nil, nil, err
	}
	prod, err = get(fmt.Sprintf("prod-%dmb.json", mb), Options{TargetBytes: mb << 20, Prod: true, DevSchema: "dbt_dconnors"})
	return dev, prod, err
}
