package engine

import "context"

// Optimize rewrites a table compactly: a new data file holding only the
// live rows (none of the space deleted or moved rows left), and indexes
// built afresh from it. The rows, their keys (the key format too: see
// TableDef.LegacyKeys), the definition and the AUTO_INCREMENT counter do
// not change, so the update log has nothing to record. It is OPTIMIZE TABLE, and runs
// as a rebuild of ALTER TABLE does, with the same crash safety (see
// alter.go): a crash leaves the table as it was before or after.
func (db *DB) Optimize(ctx context.Context, name string) error {
	t, unlock, err := db.alterTable(ctx, name, true)
	if err != nil {
		return err
	}
	defer unlock()
	def := t.definition()
	same := make([]int, len(def.Columns))
	for i := range same {
		same[i] = i
	}
	return db.rebuildTable(ctx, t, def, def.Clone(), same, 0, nil, nil)
}
