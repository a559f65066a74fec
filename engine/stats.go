package engine

import "sync/atomic"

// Stats are a database's counters since Open, for SHOW STATUS and
// monitoring. The WAL fields count commits that touched crash-safe tables
// (the others do not go through the WAL).
type Stats struct {
	WALCommits   int64 // commit records appended to the WAL
	WALGroups    int64 // group writes (one per batch of concurrent commits)
	WALSyncs     int64 // fdatasync calls on WAL segments
	WALBytes     int64 // bytes appended to the WAL
	WALRotations int64 // WAL segments started
	Checkpoints  int64 // checkpoints completed
	Deadlocks    int64 // lock waits refused with error 1213 because they would have closed a cycle

	// What Open did to recover from an unclean shutdown.
	TablesRecovered int64 // tables found not closed cleanly and put back in order
	TablesSalvaged  int64 // data files found damaged and salvaged
	IndexRebuilds   int64 // tables whose index files were rebuilt (at open or by REPAIR)
	WALReplayed     int64 // WAL commit records replayed at open
	TablesCrashed   int64 // tables left marked as crashed (error 1194) at open
}

// counters are the engine's own Stats fields, updated atomically.
type counters struct {
	checkpoints, recovered, salvaged, rebuilds, replayed, crashed, deadlocks atomic.Int64
}

// Stats returns the database's counters.
func (db *DB) Stats() Stats {
	s := Stats{
		Checkpoints:     db.cnt.checkpoints.Load(),
		Deadlocks:       db.cnt.deadlocks.Load(),
		TablesRecovered: db.cnt.recovered.Load(),
		TablesSalvaged:  db.cnt.salvaged.Load(),
		IndexRebuilds:   db.cnt.rebuilds.Load(),
		WALReplayed:     db.cnt.replayed.Load(),
		TablesCrashed:   db.cnt.crashed.Load(),
	}
	db.mu.RLock()
	w := db.wal
	db.mu.RUnlock()
	if w != nil {
		ws := w.Stats()
		s.WALCommits, s.WALGroups, s.WALSyncs, s.WALBytes, s.WALRotations = ws.Commits, ws.Groups, ws.Syncs, ws.Bytes, ws.Rotated
	}
	return s
}
