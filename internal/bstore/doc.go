// Package bstore keeps blitz backups in a blob store (a local directory,
// S3, Google Cloud Storage, Azure Blob Storage: anything gocloud.dev/blob
// opens by URL), incrementally: a file the store already holds is not sent
// again, and the update log is sent as the tail it grew since the last push.
//
// It knows nothing of the engine. A backup is a plain local directory as
// engine.(*DB).Backup writes it (table files, index files with their .sum
// sidecars, and BACKUP.json, written last, that makes the directory a
// complete backup); the update log is a directory of segments as package
// ulog writes them. Push sends both, Fetch brings them back as a backup
// directory and an update-log directory that engine.Restore takes, List
// lists the complete backups of a store.
//
// # Store URLs
//
// A store is named by a gocloud.dev/blob URL: "file:///abs/dir" (built in),
// or "s3://bucket?region=...", "gs://bucket", "azblob://container" when the
// program imports gocloud's drivers for them (cmd/blitz says which it does).
// For file:// stores Push creates the directory if it is missing, and
// bstore adds the query parameters no_tmp_dir (write each object to a
// temporary file beside it and rename it into place, so a store on another
// mount than $TMPDIR works) and metadata=skip (no .attrs sidecar per
// object) unless the URL sets them.
//
// # Store layout (format version 1)
//
//	bstore.json                          {"format": 1}: marks a blitz backup store
//	objects/<sha256>                     a backed-up file, named by the SHA-256 (hex) of its content
//	ulog/<segment>/<offset>-<sha256>     a piece of update-log segment <segment> (its file name,
//	                                     "00000000000000000001.ulog"): the bytes from <offset>
//	                                     (20 decimal digits) on, named with their SHA-256
//	backups/<ID>/manifest.json           one complete backup
//
// Every object is written once and never changed: a key names its content.
// Objects are written with a single write each, which blob stores make
// atomic (a file:// store renames a finished temporary file into place).
//
// A backup ID is its UTC time as "20060102T150405.000000000Z", so IDs sort
// in time order; the most recent backup is the greatest ID. Push refuses an
// ID that is not after the most recent one (a clock stepped back).
//
// The manifest (JSON) is written last, after every object it names is in
// the store, so a backup without a manifest does not exist: an interrupted
// push leaves the previous backup the most recent (the objects it did send
// stay, unreferenced, and the next push reuses them). A manifest holds:
//
//	format          1
//	id, created     the backup ID and time
//	backup          the content of the backup's BACKUP.json, as it is
//	backup_time, backup_ulog_seq   its "time" and "ulog_seq" (zero if absent)
//	files           every file of the backup directory: path (relative,
//	                slash-separated), size, sha256; its object is objects/<sha256>
//	ulog            every update-log segment the store holds, oldest first:
//	                name, size (bytes stored), first_seq and last_seq (of the
//	                frames stored), pieces (offset, size, sha256) that laid end to
//	                end from offset 0 make the segment's first size bytes
//	ulog_first_seq, ulog_last_seq   the update-log records the store holds
//
// The ulog list of a manifest is cumulative: it is the list of the previous
// manifest, extended by what this push sent. So the newest manifest
// describes all update-log data in the store, and Fetch of any backup takes
// the update log from the newest manifest, which may reach past the backup
// it fetches (that is what lets a restore replay up to the newest push).
//
// # The update log
//
// Segments only grow (package ulog appends and rotates). Push sends, for
// every segment, the bytes past what the store holds, as one new piece, and
// only up to the end of the last whole frame that verifies
// (ulog.CompleteLength): a frame still being written, or a torn tail that
// the log will cut when it is reopened, is never sent, so the stored bytes
// are always a prefix of what the segment will hold. Before extending a
// segment Push checks that the local file still starts with the stored
// pieces (SHA-256 of each), so a replaced or different update log is
// refused instead of being spliced onto the stored one. Damage (bytes that
// do not verify) in a segment other than the newest is refused with an
// error naming the segment and offset, and so is a record that does not
// follow the one stored before it. Segments pruned locally stay in the
// store.
//
// Push sends frames that are written, whether or not the log has synced
// them. If a power cut then loses records that were already pushed, the
// reopened log numbers new records as the lost ones and no longer matches
// the store: Push refuses it (the stored records stay as they were) and
// the update log must go to a new store, after a new backup.
//
// When BACKUP.json lists the backup's files ("files": [{"name", "size"}],
// as engine.Backup writes it), Push checks that each is there with that
// size before sending anything, so an incomplete backup directory is
// refused. Other BACKUP.json content is kept as it is.
//
// # Fetch
//
// Fetch writes into directories that are missing or empty, downloads every
// file of the backup, checks size and SHA-256 of each (an error names the
// file and the object), and writes BACKUP.json last; it then rebuilds every
// update-log segment from its pieces, checking each. Each file is written
// under a temporary name and renamed when verified; on any failure Fetch
// removes what it wrote, so a failed fetch never leaves something that
// looks like a backup.
//
// A push killed while writing an object can leave that object's temporary
// file in a file:// store ("<key>.<hex>.tmp" beside it); nothing reads it.
//
// One pusher at a time per store: two concurrent pushes to one store are
// not coordinated. Nothing is ever deleted from a store (there is no
// garbage collection of unreferenced objects yet).
package bstore
