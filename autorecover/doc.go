// Package autorecover tests blitz's recovery from crashes and from damaged
// files, and documents the procedure as the engine implements it (package
// engine: DB.open, table.openFiles, DB.Check, DB.Repair). It holds no
// production code.
//
// # What Open finds, per table
//
// engine.Open reads every DIR/T.def, then opens the WAL, then each table's
// files, in name order:
//
//   - Definition file (T.def, JSON, replaced atomically). One that does not
//     decode or validate does not stop Open: the table is set aside and every
//     call naming it answers MySQL error 1194 with the decoder's message,
//     which names the file. (The file has no checksum: damage that leaves
//     valid JSON of a valid definition is not detectable.) While the WAL
//     holds committed changes of such a table, they are kept, and no
//     checkpoint runs, until the definition is restored or the table
//     dropped. The same holds for a definition file that is missing while
//     its data file is still there and the WAL holds changes of the table
//     (a definition deleted by hand: DROP TABLE removes the data file too).
//   - WAL (DIR/wal/, the redo log of CRASH_SAFE tables). txn.OpenWAL reads
//     every segment: the last completed checkpoint, whether a checkpoint was
//     begun and never ended (CheckpointInterrupted), and the end of the log.
//     A torn or damaged frame in the newest segment is taken as the end of
//     the log (cut off); damage anywhere else, or a gap in LSNs, makes Open
//     fail with an error naming the segment and offset, unless the last
//     completed checkpoint covers every frame the damage made unreadable
//     (their changes are in the data files): then it is skipped and
//     logged. A newest segment that is gone (the file wal/NEWEST names a
//     segment later than any found) makes Open fail naming the missing
//     file; so does a log that ends at or below the first LSN of a
//     recycled segment (wal/FIRST.free: only a checkpoint past it retires
//     a segment), the newest segment and NEWEST both gone: put them back,
//     or remove NEWEST and wal/*.free to give their commits up.
//   - Data file (T.bdf). Its header is read without writing: flag "open"
//     (set while a writer has the file, cleared by a clean Close: found set,
//     the last writer died) and flag "fatal" (damage was seen); a file whose
//     header does not verify counts as fatal. A missing data file is not
//     something a crash leaves (CREATE TABLE syncs T.bdf before it writes
//     T.def, the commit point): the table is refused (1194, naming the
//     file), AutoRecover or not, until the file is restored or REPAIR
//     TABLE starts the table empty. A T.bdf without T.def (a CREATE TABLE
//     cut short) names no table; the next CREATE of the name replaces it.
//   - Index files (T.<index>.bix, bbolt, never synced in normal operation).
//     A clean Close stamps each with the data file's generation; Open
//     clears the stamp first thing. A file missing, damaged (no valid meta
//     page, truncated), unstamped or stamped with another generation is
//     stale and rebuilt, with or without AutoRecover: index files are
//     disposable.
//
// # The decision
//
// No flag set: the data file is opened for writing, the indexes as above.
//
// A CRASH_SAFE table whose data file has only the open flag, when no
// checkpoint was cut short, lost nothing: the data file is written only by
// checkpoints, each synced before the WAL marks it complete. It is
// recovered at every Open, AutoRecover or not: the writer's open rebuilds
// the bucket chains, record count and free map by one scan, the WAL records
// after the last checkpoint are replayed into the table's overlay, and the
// indexes are rebuilt.
//
// Anything else (a plain table left open, a fatal flag, an unopenable data
// file, or a crash-safe table whose data file a cut-short checkpoint was
// writing):
//
//   - without Options.AutoRecover the table is marked crashed: every call
//     answers MySQL error 1194 ("Table 'T' is marked as crashed and should
//     be repaired (reason; run REPAIR TABLE T, or open the database with the
//     auto-recover option)"). A crash-safe table's WAL records are held
//     back for REPAIR, and no checkpoint runs (the WAL is kept whole) until
//     then.
//   - with AutoRecover the data file is verified (datafile.Verify: every
//     record checksum, block structure, chains, record count) and, if not
//     sound, salvaged: every record whose checksum verifies is copied to a
//     new file (the newest version of a key wins, damaged regions are
//     skipped by resynchronising at 16-byte boundaries), the damaged
//     original is kept beside it as T.bdf.crashed-<UTC time>. Then the
//     writer's open, the WAL replay into crash-safe overlays, and the
//     rebuild of every index (one scan of the data merged with the overlay,
//     all indexes built in parallel by bulk load).
//
// Every table the WAL replays into gets its indexes rebuilt, stamps or not.
// Open ends with a checkpoint. Logger gets one line per step (salvage
// figures, records replayed, index rebuild time, total seconds).
//
// After Open, a read that meets damage (a record checksum or a chain link
// that does not verify) marks the data file fatal and the table crashed:
// that read and every later call answer 1194; reads never return bytes that
// did not verify.
//
// # CHECK and REPAIR
//
// DB.Check verifies the data file (as above) and that each index holds
// exactly the entries the rows imply, both ways. DB.Repair(quick) rebuilds
// the indexes; DB.Repair(full) closes the table's files and does what
// AutoRecover does for one table: verify and salvage, reopen, apply the WAL
// records held back, rebuild the indexes, clear the crashed mark,
// checkpoint.
//
// # The tests
//
// TestKill9Torture re-executes the test binary as a child that writes a
// crash-safe and a plain table (each with a unique and a non-unique index)
// in transactions, printing each transaction's crash-safe effects before
// Commit and an acknowledgement after it; the parent SIGKILLs it at a random
// moment, reopens, and requires every acknowledged commit (the one in flight
// all or nothing), CHECK OK, and scans through each index equal to a full
// scan; 20 rounds on one directory (BLITZ_TORTURE=N for N; BLITZ_SEED
// replays). One round reopens without AutoRecover first: the plain table
// answers 1194, the crash-safe one works.
//
// TestKill9DDLTorture does the same through SQL (the database/sql
// driver): the child interleaves transactions on a crash-safe and a plain
// table (each with a unique and a non-unique index) with DDL that rewrites
// tables (ALTER TABLE ADD/DROP/MODIFY COLUMN, ADD/DROP INDEX, FORCE,
// OPTIMIZE TABLE, CREATE/DROP INDEX, TRUNCATE, RENAME TABLE and back,
// CREATE TABLE ... AS SELECT, DROP TABLE), announcing each statement
// before it runs; the parent kills it mostly within 15 ms of a DDL
// statement's announcement. After AutoRecover it requires every table to
// open, the tables and their definitions to be those the acknowledged
// statements made (the one in flight wholly in effect or not at all),
// crash-safe rows exact (the transaction in flight all or nothing), plain
// rows holding every acknowledged write (the statement in flight row by
// row), CHECK TABLE OK, index scans equal to a full scan, SQL lookups by
// index agreeing with the model, and no leftover of a cut-short DDL but
// those blitz check reports as strays. In a third of the rounds the
// recovery is killed too (a child opens the database with AutoRecover and
// is killed at a random moment) before the checked open; one round first
// opens without AutoRecover (every table works or answers 1194). 10 rounds
// (BLITZ_DDL_TORTURE=N for N; BLITZ_SEED replays the choices, not the
// kill timing; BLITZ_DDL_LOG=FILE appends every child line to FILE).
//
// TestServeKill9Torture (package cmd/blitz/command) does it to `blitz
// serve` through the MySQL protocol, with 64K WAL segments and FLUSH
// TABLES (checkpoints) beside background commits: multi-statement and
// mixed crash-safe/plain transactions, multi-row INSERTs and LOAD DATA
// LOCAL of up to 1600 rows, CREATE/DROP INDEX, ADD/DROP COLUMN, OPTIMIZE,
// REPAIR, CREATE TABLE ... AS SELECT, RENAME, TRUNCATE and DROP; some kills
// follow a SIGTERM (inside the clean shutdown), some restarts are killed
// during --auto-recover, and some go without it (1194, REPAIR TABLE,
// itself killed at times, and blitz check on the killed directory).
// Two rounds (BLITZ_CRASH_SERVE=N for N).
//
// TestCorrupt* flip, zero or truncate random regions of a data file, an
// index file, a WAL segment or a definition file of a cleanly closed
// database (and, for the WAL, of a killed one), then open with and without
// AutoRecover, CHECK and REPAIR, with every call bounded in time and panics
// caught (BLITZ_CORRUPT=N seeds per case).
package autorecover
