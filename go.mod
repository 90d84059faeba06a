module github.com/dbtdefer/dbtdefer

go 1.26

require (
	github.com/syumai/workers v0.33.0
	github.com/valyala/fastjson v1.6.10
	gopkg.in/yaml.v3 v3.0.1
)
