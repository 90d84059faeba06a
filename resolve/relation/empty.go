package relation

// EmptyWrap returns the string a relation renders as under `--empty` (spec
// §2.5): a zero-row subquery over r, aliased when the adapter requires
// subquery aliases. The alias uses r's own identifier (the deferred alias
// when r was deferred).
func (a Adapter) EmptyWrap(r Relation) string {
	rendered := r.Render()
	alias := ""
	if a.RequireAlias {
		alias = " _dbt_limit_subq_" + r.Identifier
	}
	switch a.Empty {
	case EmptyWhereOneIsZero:
		return "(select * from " + rendered + " where 1=0)"
	case EmptySQLServerLegacy:
		return "(select * from " + rendered + " where 1=0)  _dbt_limit_subq_" + r.Identifier
	case EmptyFabricLegacy:
		return "(select * from " + rendered + " where 1=0) AS _dbt_limit_subq"
	case EmptyFabric:
		return "(select * from " + rendered + " where 1=0) AS " + alias
	case EmptyTeradata:
		return "(select * from " + rendered + " sample 0) _dbt_limit_subq"
	}
	return "(select * from " + rendered + " where false limit 0)" + alias
}
