package relation_test

import (
	"fmt"

	"github.com/dbtdefer/dbtdefer/resolve/relation"
)

func Example() {
	pg := relation.Lookup("postgres")
	f := false
	project := relation.Quoting{Identifier: &f} // dbt_project.yml: quoting: {identifier: false}

	prod := relation.Parts{Database: "analytics", Schema: "prod", Identifier: "stg_customers", HasDatabase: true, HasSchema: true}
	fmt.Println(pg.ForRef(prod, project))
	fmt.Println(pg.EmptyWrap(pg.ForRef(prod, relation.Quoting{})))

	src := relation.Source{Parts: relation.Parts{Database: "raw_db", Schema: "raw", Identifier: "orders", HasDatabase: true, HasSchema: true}}
	fmt.Println(pg.ForSource(src))                     // what source() renders
	fmt.Println(pg.ForSourceWithProject(src, project)) // the manifest's relation_name

	sf := relation.Lookup("snowflake")
	dev := relation.Parts{Database: "analytics", Schema: "dbt_alice", Identifier: "stg_customers", HasDatabase: true, HasSchema: true}
	listed := relation.Parts{Database: "ANALYTICS", Schema: "DBT_ALICE", Identifier: "STG_CUSTOMERS", HasDatabase: true, HasSchema: true}
	fmt.Println(sf.SameRelation(dev, relation.Quoting{}, listed))
	// Output:
	// "analytics"."prod".stg_customers
	// (select * from "analytics"."prod"."stg_customers" where false limit 0) _dbt_limit_subq_stg_customers
	// "raw_db"."raw"."orders"
	// "raw_db"."raw".orders
	// true
}
