// Package engine turns data files and index files into tables: schemas, a
// row codec, transactions, the CRASH_SAFE mode on the txn redo WAL, and the
// detection and repair of tables an unclean shutdown left behind.
//
// # A database on disk
//
//	DIR/LOCK             flock'ed by the one process that has DIR open
//	DIR/T.def            table T's definition (JSON, format versions 1 to 8), replaced atomically
//	DIR/V.view           view V's definition (JSON, format version 1, view.go), replaced atomically
//	DIR/T.bdf            table T's rows: key = keyenc of the primary key, value = row codec;
//	                     one with rows but no T.def is a table whose definition is
//	                     missing (orphan.go), never replaced by CREATE TABLE
//	DIR/T.<index>.bix    one bbolt file per secondary index (disposable); '.' and '@'
//	                     of the index name written @002e, @0040, a long name cut and
//	                     hashed (IndexFileName, indexfile.go)
//	DIR/wal/             the redo WAL of the crash-safe tables
//	DIR/T.*.rebuild      the new files of an ALTER TABLE rebuilding T, while it runs
//	                     (see alter.go: settled at the next open if a crash cut it short)
//	DIR/RENAME.pending   the intent of a RENAME TABLE while it runs (see rename.go:
//	                     finished at the next open if a crash cut it short)
//	DIR/T.creating       T is provisional: created by CREATE TABLE ... SELECT, not yet
//	                     filled (see provisional.go: dropped at the next open if a
//	                     crash cut the statement short)
//	DIR/T.dropping       a DROP TABLE of T while it runs, its commit point once T.def
//	                     is gone (see orphan.go: finished at the next open if a
//	                     crash cut it short; forgotten if T.def is still there)
//	DIR/ULOG.pending     with an update log, the log record of a DDL statement
//	                     while it runs (see ulogintent.go: appended at the next
//	                     open if a crash cut it short after it took effect)
//	DIR/*.build-N        an index build's temporary file while it runs (package
//	                     index; removed at the next open if a crash cut it short)
//
// # Isolation
//
// Read committed. A transaction that writes a table holds that table's write
// lock from its first write until Commit or Rollback, so writers of one
// table are serialised and a transaction's reads of rows it is about to
// change cannot be invalidated under it. Readers take no table lock: a read
// sees the last committed state of each row plus the reading transaction's
// own writes. A commit becomes visible row by row while it is applied, so a
// reader scanning a table while a multi-row commit is applied may see part
// of it; a reader never waits for another transaction's fsync.
//
// # CRASH_SAFE
//
// A commit touching crash-safe tables is appended to the WAL and
// acknowledged once durable (one fdatasync shared by every committer waiting
// at that moment). Its rows then go to an in-memory overlay of each table;
// the data file is written only by checkpoints (by WAL size, at DDL and at
// Close), which apply the overlay, sync the data files and only then mark
// the WAL covered. After a crash the WAL is replayed into the overlays; if a
// checkpoint was cut short, the data files it was writing are verified and
// salvaged first.
//
// A transaction that writes both crash-safe and plain tables is atomic for
// its crash-safe part only: its plain rows are written after the WAL commit
// and may be lost by a crash in between.
package engine

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// SyncMode says when a commit to a crash-safe table counts as durable.
type SyncMode int

const (
	// SyncFull (the default) fdatasyncs the WAL for each commit group: a
	// commit survives a power cut.
	SyncFull SyncMode = iota
	// SyncOff writes the WAL without syncing: a commit survives a process
	// crash, not a power cut.
	SyncOff
)

// Options configure a DB. The zero value is a sensible default.
type Options struct {
	FS               vfs.FS        // nil means vfs.Default
	AutoRecover      bool          // repair tables an unclean shutdown left behind, at Open
	Sync             SyncMode      // durability of crash-safe commits
	Logger           *slog.Logger  // nil discards
	CheckpointBytes  int64         // WAL bytes that trigger a checkpoint; 0 means 64 MiB
	CheckpointEvery  time.Duration // reserved: checkpoints are by size, DDL and Close for now
	IndexBufferBytes int           // write-buffer bound per index; 0 means the index default
	WALSegmentBytes  int64         // size of a WAL segment file; 0 means the txn default (64 MiB)
	// ULogDir, if set, is the update log's directory (see internal/ulog and
	// ulog.go): every committed transaction and every DDL is appended to it.
	ULogDir string
	// ULogLimit is the update log's segment rotation size; 0 means the ulog
	// default (64 MiB).
	ULogLimit int64
	// Progress, if set, is called during long recovery work.
	Progress func(stage string, done, total int64)

	// noCheckpointLoop (tests) starts no background checkpoint loop:
	// checkpoints then run only in DDL, Sync and Close, on the caller's
	// goroutine, so that a CrashFS power cut never snapshots the files
	// while another goroutine writes them.
	noCheckpointLoop bool
	// restoring (Restore's own open) opens a directory whose RESTORE.json
	// says the restore has not finished (see checkRestoreFinished).
	restoring bool
}

// Type is a column type.
type Type uint8

// Column types. BOOLEAN is TypeTinyInt with Length 1, as in MySQL.
const (
	TypeTinyInt Type = iota + 1
	TypeSmallInt
	TypeMediumInt
	TypeInt
	TypeBigInt
	TypeFloat
	TypeDouble
	TypeDecimal
	TypeChar
	TypeVarChar
	TypeText
	TypeBinary
	TypeVarBinary
	TypeBlob
	TypeDate
	TypeDateTime
	TypeTimestamp
	TypeJSON
	// The types of definition format 3 (see toDefTable).
	TypeTime // a signed duration within ±MaxTime, fractional digits in Scale
	TypeYear // 0 (shown 0000) or 1901 to 2155
	TypeEnum // one of Column.Elems, or the error value ''
	TypeSet  // a subset of Column.Elems (at most 64)
	// The type of definition format 8.
	TypeBit // BIT(M): an unsigned integer of Length (M, 1 to 64) bits
)

var typeNames = [...]string{"", "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL",
	"CHAR", "VARCHAR", "TEXT", "BINARY", "VARBINARY", "BLOB", "DATE", "DATETIME", "TIMESTAMP", "JSON",
	"TIME", "YEAR", "ENUM", "SET", "BIT"}

func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("TYPE(%d)", uint8(t))
}

// IsInteger reports whether t is one of the integer types.
func (t Type) IsInteger() bool { return t >= TypeTinyInt && t <= TypeBigInt }

// IsNumeric reports whether t is an integer, floating-point or decimal type.
func (t Type) IsNumeric() bool {
	return t.IsInteger() || t == TypeFloat || t == TypeDouble || t == TypeDecimal
}

// IsString reports whether t holds text (Go string values).
func (t Type) IsString() bool {
	return t == TypeChar || t == TypeVarChar || t == TypeText || t == TypeJSON
}

// IsBinary reports whether t holds bytes (Go []byte values).
func (t Type) IsBinary() bool { return t == TypeBinary || t == TypeVarBinary || t == TypeBlob }

// IsTime reports whether t holds a time.Time.
func (t Type) IsTime() bool { return t == TypeDate || t == TypeDateTime || t == TypeTimestamp }

// MaxBitLength is the most bits a BIT column holds.
const MaxBitLength = 64

// MaxTime is the largest TIME value (838:59:59.999999); -MaxTime is the
// smallest. A column with fewer fractional digits holds it cut to them.
const MaxTime = 838*time.Hour + 59*time.Minute + 59*time.Second + 999999*time.Microsecond

// Enum is a value of an ENUM column: Index is the 1-based position of
// the member in Column.Elems and Name its text, or Index 0 and Name ""
// for the error value ” that a non-strict INSERT stores for text that is
// no member. ENUM values sort by Index and compare with text by Name.
type Enum struct {
	Index uint16
	Name  string
}

// String returns e's member text.
func (e Enum) String() string { return e.Name }

// Set is a value of a SET column: bit i of Bits is set when member i+1 of
// Column.Elems is in the set, and Text lists those members in definition
// order, separated by commas. SET values sort by Bits.
type Set struct {
	Bits uint64
	Text string
}

// String returns s's member list.
func (s Set) String() string { return s.Text }

// Column is one column of a table.
type Column struct {
	Name          string
	Type          Type
	Unsigned      bool
	Length        int // CHAR/VARCHAR: characters; BINARY/VARBINARY/TEXT/BLOB: bytes (0: 65535 for TEXT/BLOB); BIT: bits (1..64)
	Precision     int // DECIMAL(P,S) P
	Scale         int // DECIMAL S; fractional digits of DATETIME/TIMESTAMP
	NotNull       bool
	HasDefault    bool
	Default       any // a value of the column's Go type; nil is DEFAULT NULL
	AutoIncrement bool
	Comment       string
	// DefaultNow is DEFAULT CURRENT_TIMESTAMP (DATETIME, TIMESTAMP, DATE):
	// a row inserted without the column gets the statement's time (date). Default
	// then holds the value of rows older than the column (ALTER TABLE ADD
	// COLUMN fills them with the time of the ALTER, as MySQL does), and
	// HasDefault is set.
	DefaultNow bool
	// OnUpdateNow is ON UPDATE CURRENT_TIMESTAMP: an UPDATE that changes
	// a row and does not assign the column sets it to the statement's time.
	OnUpdateNow bool
	// Elems are the members of an ENUM or SET column, as the definition
	// spells them. Shared between clones: never modified in place.
	Elems []string
	// Collation is how a CHAR, VARCHAR or TEXT column compares, sorts and
	// keys its values; nil is utf8mb4_bin (collate.Bin), the default. An
	// ENUM or SET column's names its members when text is assigned
	// ('ADMIN' is 'admin' under a _ci collation) and compares them with
	// text; its keys are member numbers whatever the collation.
	// Index keys and the primary key of a column with another collation
	// are its weight strings (collate.AppendKey), so that values equal
	// under the collation collide in unique keys; the row keeps the text.
	// So are those of utf8mb4_bin (the text without trailing spaces) in
	// a table of key format 2 (see TableDef.LegacyKeys).
	Collation *collate.Collation
	// Charset is the character set of a CHAR, VARCHAR or TEXT column
	// other than utf8mb4 (latin1, ascii, ...); nil is utf8mb4. The row
	// holds the text as UTF-8 whatever the set: the set refuses the
	// characters it does not have (Coerce: 1366, CoerceLoose: '?') and
	// gives the text's length in bytes (charset.Charset.Octets), as
	// LENGTH and HEX count and show it (in sqlshim).
	Charset *charset.Charset
	// Generated is the expression of a generated column (AS (expr)) and
	// DefaultExpr that of a DEFAULT (expr), as SQL text in MariaDB's printed
	// form; "" for none. Stored is STORED (PERSISTENT), else VIRTUAL. The
	// engine keeps every column's value in the row, VIRTUAL ones too, and
	// evaluates neither: the SQL layer computes them before each write
	// (sqlshim/gencol.go), so that an index rebuild reads their keys from
	// the data file like any other column's.
	Generated, DefaultExpr string
	Stored                 bool
}

// Coll returns c's collation: collate.Bin when none is set.
func (c *Column) Coll() *collate.Collation {
	if c.Collation == nil {
		return collate.Bin
	}
	return c.Collation
}

// collated reports whether c's keys are weight strings rather than its
// values (a text column with a collation other than utf8mb4_bin).
func (c *Column) collated() bool {
	return c.hasCollation() && c.Type != TypeEnum && c.Type != TypeSet
}

// hasCollation reports whether c has a collation other than utf8mb4_bin,
// which its definition records.
func (c *Column) hasCollation() bool { return c.Collation != nil && !c.Collation.IsBin() }

// IndexDef is a secondary index. The primary key is not one.
type IndexDef struct {
	Name    string
	Columns []string
	Unique  bool
	// Prefix, if not nil, has one length per column: a column with a
	// length > 0 is a prefix part (KEY (name(5))), keyed by its first
	// Prefix[i] characters (text) or bytes (binary strings); 0 keys the
	// whole value. A unique index with a prefix part refuses two rows
	// with the same prefix. Definition format 5.
	Prefix []int `json:"prefix,omitempty"`
	// ForForeignKey marks an index made for a foreign key rather than
	// asked for (MariaDB's "generated" key): a key added later on the same
	// or more columns replaces it, as in MariaDB. It changes no row (any
	// definition format may carry it).
	ForForeignKey bool `json:"for_foreign_key,omitempty"`
	// Hidden marks an index the engine keeps for a foreign key whose
	// columns are a proper prefix of a composite primary key (see
	// TableDef.syncKeyIndexes): MariaDB finds such children through its
	// clustered primary key, blitz's data file is hashed on the whole key
	// and cannot. It is named "#pk<n>" (n: the prefix's length), shown
	// nowhere (SHOW CREATE TABLE, SHOW INDEX, information_schema), used
	// by no query plan, and made and dropped by the engine alone. Like
	// ForForeignKey it changes no row; a reader that predates it sees an
	// ordinary index.
	Hidden bool `json:"hidden,omitempty"`
}

// clone returns a copy of ix that shares no slice with it.
func (ix IndexDef) clone() IndexDef {
	ix.Columns = append([]string(nil), ix.Columns...)
	ix.Prefix = append([]int(nil), ix.Prefix...)
	return ix
}

// TableDef is a table's definition.
type TableDef struct {
	Name       string
	Columns    []Column
	PrimaryKey []string // empty: the table gets a hidden row id
	// PrimaryPrefix is IndexDef.Prefix for the primary key: the data
	// file's keys hold those prefixes. Definition format 5.
	PrimaryPrefix []int
	Indexes       []IndexDef
	CrashSafe     bool
	// Collation is the table's default collation, the one a text column
	// added without its own gets (nil: utf8mb4_bin). It changes no row.
	Collation *collate.Collation
	// Charset is the table's default character set, the one a text
	// column added without its own gets (nil: utf8mb4). It changes no row.
	Charset *charset.Charset
	// Comment is the table's COMMENT. It changes no row.
	Comment string
	// LegacyKeys is set for a table created before key format 2 (see
	// "Definition file"): the keys of its utf8mb4_bin text columns keep
	// their trailing spaces, so 'a' and 'a ' are distinct keys. The zero
	// value, key format 2, is what every new table gets. A definition
	// given to AlterColumns that differs here rebuilds the table in its
	// key format (which fails, changing nothing, on values that the new
	// keys make duplicates).
	LegacyKeys bool
	// Checks are the table's CHECK constraints, in the order they were
	// defined. The engine stores them and does not evaluate them: the SQL
	// layer does, before each write.
	Checks []CheckDef
	// ForeignKeys are the table's FOREIGN KEY constraints, in the order
	// they were defined. The engine enforces them on every write unless
	// the transaction turns them off (foreignkey.go); the SQL layer
	// validates them when they are defined.
	ForeignKeys []ForeignKeyDef
	// Fill names the columns whose values an ALTER TABLE is still
	// computing (new columns with a DEFAULT expression; generated
	// columns): the SQL layer writes the new definition with Fill set,
	// gives every row its values in a transaction, then writes the
	// definition again without it. A definition that still has it after a
	// crash is an ALTER cut short between the two, which the SQL layer
	// finishes (DB.PendingFills). It changes no row.
	Fill []string
}

// CheckDef is a CHECK constraint: a condition every written row must not
// make false (NULL passes).
type CheckDef struct {
	// Name is the constraint's name: the column's for a column-level
	// check, else as given or CONSTRAINT_<n>.
	Name string
	// Column is set for a column-level check (c INT CHECK (...)): the
	// column it was declared with; "" for a table-level one.
	Column string
	// Expr is the condition as SQL text, in MariaDB's printed form.
	Expr string
}

// Row is a table row: one value per column, in the order of
// TableDef.Columns. Go types: nil for NULL; int64 for signed integers and
// BOOLEAN; uint64 for unsigned integers; float64 for FLOAT and DOUBLE;
// decimal.Decimal for DECIMAL; string for CHAR, VARCHAR, TEXT and JSON;
// []byte for BINARY, VARBINARY and BLOB; time.Time in UTC for DATE,
// DATETIME and TIMESTAMP; time.Duration (whole microseconds) for TIME;
// int64 for YEAR (0 or 1901..2155); Enum for ENUM; Set for SET; uint64
// below 1<<M for BIT(M).
type Row []any

// Handle identifies a stored row: its encoded primary key (or hidden row
// id). It is opaque and comparable.
type Handle string

// Bound is one end of a scan: a prefix of the scanned index's columns.
// Nil Values means unbounded.
type Bound struct {
	Values    []any
	Inclusive bool
}

// Scan selects the rows a Tx.Scan visits.
type Scan struct {
	Index   string // "" full scan in file order; "PRIMARY" primary-key order; else a secondary index
	Lo, Hi  Bound
	Reverse bool
	// Limit, when > 0, says that the caller means to stop (fn returns
	// false) after about that many rows, more if its own conditions
	// reject some, and that fn does not write to the table. A
	// primary-key range that is open on the side it is read towards may
	// then be read by lookups in key order, stopping when fn does
	// (pkwalk.go). The rows and their order are the same either way.
	// An int32 in Reverse's padding: Scan, part of every planned SQL
	// statement's access path, stays the size it was.
	Limit int32
}

// TableStatus is what SHOW TABLE STATUS shows.
type TableStatus struct {
	Rows                    int64
	DataLength, IndexLength int64
	DataFree                int64 // free blocks in the data file, reused by later writes
	AvgRowLength            int64 // record bytes (without the header page and bucket array) per row
	CrashSafe               bool
	Crashed                 bool
	AutoIncrement           uint64
}

// CheckReport is the result of Check: OK, or the problems found.
type CheckReport struct {
	OK       bool
	Problems []string
	Notes    []string // advice that is no problem (a table of an older key format)
}

// RepairReport says what Repair did.
type RepairReport struct {
	Actions []string
	// Warnings are the actions that may have cost rows (a salvage that
	// dropped damaged regions, a missing data file): REPAIR TABLE shows
	// them, so that its "OK" never hides a loss.
	Warnings []string
}

// Clone returns a deep copy of d.
func (d *TableDef) Clone() *TableDef {
	c := *d
	c.Columns = append([]Column(nil), d.Columns...)
	c.PrimaryKey = append([]string(nil), d.PrimaryKey...)
	c.PrimaryPrefix = append([]int(nil), d.PrimaryPrefix...)
	c.Indexes = make([]IndexDef, len(d.Indexes))
	for i, ix := range d.Indexes {
		c.Indexes[i] = ix.clone()
	}
	c.Checks = append([]CheckDef(nil), d.Checks...)
	c.Fill = append([]string(nil), d.Fill...)
	c.ForeignKeys = nil
	for _, fk := range d.ForeignKeys {
		c.ForeignKeys = append(c.ForeignKeys, fk.clone())
	}
	return &c
}

// ColumnIndex returns the position of the named column (case-insensitive)
// or -1.
func (d *TableDef) ColumnIndex(name string) int {
	for i := range d.Columns {
		if strings.EqualFold(d.Columns[i].Name, name) {
			return i
		}
	}
	return -1
}

func (d *TableDef) indexByName(name string) int {
	for i := range d.Indexes {
		if strings.EqualFold(d.Indexes[i].Name, name) {
			return i
		}
	}
	return -1
}

// maxIdentLen is MariaDB's NAME_CHAR_LEN: the most characters a table,
// view, column, index or constraint name may have.
const maxIdentLen = 64

// validate checks a definition for DDL (CreateTable, ALTER, RENAME):
// validateStored, and names no longer than MariaDB takes.
func (d *TableDef) validate() error {
	if err := d.validateNames(); err != nil {
		return err
	}
	return d.validateStored()
}

// validatePrimaryKeyTypes refuses a primary key on the whole of a TEXT, BLOB
// or JSON column, as MariaDB does (1170): a primary key part of those types
// needs a prefix length. (Secondary keys on them are accepted, as MariaDB
// does.) CREATE TABLE checks it, and ALTER unless the table already had
// such a key: a table made before this check opens, renames and alters as
// before (definitions read back are not checked).
func (d *TableDef) validatePrimaryKeyTypes() error {
	for i, name := range d.PrimaryKey {
		if i < len(d.PrimaryPrefix) && d.PrimaryPrefix[i] > 0 {
			continue
		}
		for _, c := range d.Columns {
			if strings.EqualFold(c.Name, name) && (c.Type == TypeText || c.Type == TypeBlob || c.Type == TypeJSON) {
				return sqlerr.New(sqlerr.ErrBlobKeyWithoutLen, "BLOB/TEXT column '%s' used in key specification without a key length", c.Name)
			}
		}
	}
	return nil
}

// validateNames refuses a name longer than maxIdentLen characters: 1103
// for the table's, 1059 for a column's, an index's or a constraint's, as
// MariaDB does; and, as MariaDB does too, a table name ending in a space
// (1103), a column name that is empty or ends in a space (1166), an index
// name ending in a space (1280) (testdata/sql/ident_names.test). A
// definition read from disk is not checked: tables created before the
// checks still open.
func (d *TableDef) validateNames() error {
	if utf8.RuneCountInString(d.Name) > maxIdentLen || strings.HasSuffix(d.Name, " ") {
		return sqlerr.New(1103, "Incorrect table name '%s'", d.Name)
	}
	for _, c := range d.Columns {
		if c.Name == "" || strings.HasSuffix(c.Name, " ") {
			return sqlerr.New(1166, "Incorrect column name '%s'", c.Name)
		}
	}
	for _, ix := range d.Indexes {
		if strings.HasSuffix(ix.Name, " ") {
			return sqlerr.New(1280, "Incorrect index name '%s'", ix.Name)
		}
	}
	names := make([]string, 0, len(d.Columns)+len(d.Indexes)+len(d.Checks)+len(d.ForeignKeys))
	for _, c := range d.Columns {
		names = append(names, c.Name)
	}
	for _, ix := range d.Indexes {
		names = append(names, ix.Name)
	}
	for _, ck := range d.Checks {
		names = append(names, ck.Name)
	}
	for _, fk := range d.ForeignKeys {
		names = append(names, fk.Name)
	}
	for _, n := range names {
		if utf8.RuneCountInString(n) > maxIdentLen {
			return sqlerr.New(1059, "Identifier name '%s' is too long", n)
		}
	}
	return nil
}

// validateStored checks what every definition must satisfy, one read
// from disk included.
func (d *TableDef) validateStored() error {
	if d.Name == "" || strings.ContainsAny(d.Name, "/\\\x00") || strings.HasPrefix(d.Name, ".") {
		return sqlerr.New(1103, "Incorrect table name '%s'", d.Name)
	}
	if len(d.Columns) == 0 {
		return sqlerr.New(sqlerr.ErrTableMustHaveCols, "A table must have at least 1 column")
	}
	seen := map[string]bool{}
	autos := 0
	for _, c := range d.Columns {
		k := strings.ToLower(c.Name)
		if seen[k] {
			return sqlerr.New(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", c.Name)
		}
		seen[k] = true
		if c.Type < TypeTinyInt || c.Type > TypeBit {
			return fmt.Errorf("blitz/engine: column %q has unknown type %d", c.Name, c.Type)
		}
		if c.Type == TypeBit && (c.Length < 1 || c.Length > MaxBitLength) {
			return sqlerr.New(1439, "Display width out of range for '%s' (max = %d)", c.Name, MaxBitLength)
		}
		if err := validateElems(&c); err != nil {
			return err
		}
		if c.hasCollation() && c.Type != TypeChar && c.Type != TypeVarChar && c.Type != TypeText && c.Type != TypeEnum && c.Type != TypeSet {
			return fmt.Errorf("blitz/engine: column %q: a %s column has no collation", c.Name, c.Type)
		}
		if c.Charset != nil && c.Type != TypeChar && c.Type != TypeVarChar && c.Type != TypeText {
			return fmt.Errorf("blitz/engine: column %q: a %s column has no character set", c.Name, c.Type)
		}
		if c.AutoIncrement {
			autos++
			if !c.Type.IsInteger() {
				return sqlerr.New(1063, "Incorrect column specifier for column '%s'", c.Name)
			}
		}
		if c.DefaultNow && (!c.Type.IsTime() || !c.HasDefault) {
			return sqlerr.New(sqlerr.ErrInvalidDefault, "Invalid default value for '%s'", c.Name)
		}
		if c.OnUpdateNow && c.Type != TypeDateTime && c.Type != TypeTimestamp {
			return sqlerr.New(sqlerr.ErrInvalidOnUpdate, "Invalid ON UPDATE clause for '%s' column", c.Name)
		}
	}
	for _, p := range d.PrimaryKey {
		if d.ColumnIndex(p) < 0 {
			return sqlerr.New(1072, "Key column '%s' doesn't exist in table", p)
		}
	}
	if err := d.validatePrefix("PRIMARY", d.PrimaryKey, d.PrimaryPrefix); err != nil {
		return err
	}
	names := map[string]bool{"primary": true}
	for _, ix := range d.Indexes {
		if names[strings.ToLower(ix.Name)] {
			return sqlerr.New(sqlerr.ErrDupKeyName, "Duplicate key name '%s'", ix.Name)
		}
		names[strings.ToLower(ix.Name)] = true
		if len(ix.Columns) == 0 {
			return fmt.Errorf("blitz/engine: index %q has no columns", ix.Name)
		}
		for _, c := range ix.Columns {
			if d.ColumnIndex(c) < 0 {
				return sqlerr.New(1072, "Key column '%s' doesn't exist in table", c)
			}
		}
		if err := d.validatePrefix(ix.Name, ix.Columns, ix.Prefix); err != nil {
			return err
		}
		if strings.ContainsAny(ix.Name, "/\\\x00") {
			return sqlerr.New(1280, "Incorrect index name '%s'", ix.Name)
		}
	}
	fks := map[string]bool{}
	for _, fk := range d.ForeignKeys {
		if fk.Name == "" || fk.RefTable == "" || len(fk.Columns) == 0 || len(fk.Columns) != len(fk.RefColumns) {
			return fmt.Errorf("blitz/engine: foreign key %q is malformed", fk.Name)
		}
		if fks[strings.ToLower(fk.Name)] {
			return sqlerr.New(sqlerr.ErrDupKeyName, "Duplicate key name '%s'", fk.Name)
		}
		fks[strings.ToLower(fk.Name)] = true
		for _, c := range fk.Columns {
			if d.ColumnIndex(c) < 0 {
				return sqlerr.New(1072, "Key column '%s' doesn't exist in table", c)
			}
		}
	}
	if autos > 1 {
		return sqlerr.New(sqlerr.ErrWrongAutoKey, "Incorrect table definition; there can be only one auto column and it must be defined as a key")
	}
	if autos == 1 {
		keyed := false
		for i := range d.Columns {
			if !d.Columns[i].AutoIncrement {
				continue
			}
			if len(d.PrimaryKey) > 0 && strings.EqualFold(d.PrimaryKey[0], d.Columns[i].Name) {
				keyed = true
			}
			for _, ix := range d.Indexes {
				if strings.EqualFold(ix.Columns[0], d.Columns[i].Name) {
					keyed = true
				}
			}
		}
		if !keyed {
			return sqlerr.New(sqlerr.ErrWrongAutoKey, "Incorrect table definition; there can be only one auto column and it must be defined as a key")
		}
	}
	return nil
}

// validatePrefix checks the prefix lengths of the key named name on cols
// (IndexDef.Prefix): one per column, and a length > 0 only on a string
// column (1089), not beyond a CHAR, VARCHAR, BINARY or VARBINARY
// column's length (1089, as MariaDB). TEXT and BLOB take any length.
func (d *TableDef) validatePrefix(name string, cols []string, prefix []int) error {
	if prefix == nil {
		return nil
	}
	if len(prefix) != len(cols) {
		return fmt.Errorf("blitz/engine: key %q has %d prefix lengths for %d columns", name, len(prefix), len(cols))
	}
	for i, n := range prefix {
		if n == 0 {
			continue
		}
		c := &d.Columns[d.ColumnIndex(cols[i])]
		if n < 0 || !PrefixFits(c, n) {
			return sqlerr.New(sqlerr.ErrWrongSubKey, "Incorrect prefix key; the used key part isn't a string, the used length is longer than the key part, or the storage engine doesn't support unique prefix keys")
		}
	}
	return nil
}

// PrefixFits reports whether a key on column c may hold a prefix of n
// characters (text) or bytes (binary strings) of its values: c is a
// string column and, unless TEXT, BLOB or JSON, at least n long.
func PrefixFits(c *Column, n int) bool {
	switch c.Type {
	case TypeChar, TypeVarChar, TypeBinary, TypeVarBinary:
		return n <= c.Length
	case TypeText, TypeBlob, TypeJSON:
		return true
	}
	return false
}

// validateElems checks the members of an ENUM or SET column: at least
// one, at most 65535 (ENUM) or 64 (SET), no member twice under the
// column's collation, no comma in a SET member.
func validateElems(c *Column) error {
	if c.Type != TypeEnum && c.Type != TypeSet {
		if len(c.Elems) > 0 {
			return fmt.Errorf("blitz/engine: column %q: only ENUM and SET have members", c.Name)
		}
		return nil
	}
	if len(c.Elems) == 0 || (c.Type == TypeEnum && len(c.Elems) > 65535) {
		return fmt.Errorf("blitz/engine: column %q has %d members", c.Name, len(c.Elems))
	}
	if c.Type == TypeSet && len(c.Elems) > 64 {
		return sqlerr.New(1097, "Too many strings for column %s and SET", c.Name)
	}
	// Members are the same when the column's collation finds them equal
	// ('a' and 'A ' under utf8mb4_general_ci); the message names the first,
	// as MariaDB's does. A definition read back from disk is checked
	// before its collation is set: a table made by a version that
	// compared bytes still opens.
	seen := make(map[string]string, len(c.Elems))
	var key []byte
	for _, e := range c.Elems {
		key = c.Coll().AppendKey(key[:0], strings.TrimRight(e, " "))
		if first, ok := seen[string(key)]; ok {
			word := "ENUM"
			if c.Type == TypeSet {
				word = "SET"
			}
			return sqlerr.New(1291, "Column '%s' has duplicated value '%s' in %s", c.Name, first, word)
		}
		seen[string(key)] = e
		if c.Type == TypeSet && strings.Contains(e, ",") {
			return sqlerr.New(1367, "Illegal set '%s' value found during parsing", e)
		}
	}
	return nil
}

// # Definition file (format versions 1 to 8)
//
// T.def is JSON: {"format":1, "table": {...}, "auto_reserved": N,
// "rowid_reserved": N}. Column defaults are stored as text (with a null
// flag) and converted back with Coerce, so every type round-trips exactly.
// Format 2 adds the column flags "default_now" and "on_update_now"
// (DEFAULT / ON UPDATE CURRENT_TIMESTAMP); a table is written as format 2
// only when a column has one of them, so that a reader that knows only
// format 1 refuses it with an error rather than dropping the flags.
// Format 3 adds the column types TIME, YEAR, ENUM and SET and the member
// list "elems" of ENUM and SET; a table is written as format 3 only when
// a column has one of these types (format 3 may also carry the flags of
// format 2), so that an older reader refuses it rather than misreading
// rows it cannot decode.
// Format 4 adds the column field "collation", the name of a collation
// other than utf8mb4_bin (see internal/collate), and the same field on the
// table, its default collation for new columns: the keys of such a column
// are its weight strings, so a reader that does not know the collation
// could neither find nor order its rows. A table is written as format 4
// only when a column has such a collation (older tables, and tables of
// utf8mb4_bin columns only, keep their format and their bytes); a reader
// that finds a collation name it does not know refuses the table, naming
// the collation.
// Format 5 adds the column fields "generated" (the expression of a
// generated column), "stored" (STORED rather than VIRTUAL) and
// "default_expr" (DEFAULT (expression)): SQL text the SQL layer evaluates
// for each written row. A table is written as format 5 only when a column
// has one of them, so that an older reader, which would let a write give a
// generated column any value or drop the default, refuses the table.
// Format 6 adds the table field "key_format": 2 (key format 2, below): the
// keys of its utf8mb4_bin text columns (CHAR, VARCHAR, TEXT) ignore
// trailing spaces, as the column compares (PAD SPACE), so that 'a' and
// 'a ' collide in a unique key; absent, the table is of key format 1,
// whose keys of such columns are the text as stored, trailing spaces and
// all (every table written before format 6). The field is written for
// every table of key format 2, but the format is 6 only when a primary
// key or index has such a column: only then do the key bytes of the two
// key formats differ, so only then must a reader that knows only format
// 5 or less refuse the table (a reader that ignores the field and rewrites the
// definition drops it, and its keys are then of key format 1, as the
// definition says). A table keeps its key format until ALTER TABLE ...
// FORCE rebuilds it, in key format 2 (see TableDef.LegacyKeys).
// Format 7 adds prefix key parts (KEY (name(5))): the index field
// "prefix" and the table field "primary_prefix", each a list with one
// length per key column ([0, 191]: the second column keyed by its first
// 191 characters, or bytes for a binary string; 0 the whole value). The
// keys of such an index, and for primary_prefix the data file's keys,
// hold the cut values, so a reader that ignored the field would find and
// rebuild the wrong keys. A table is written as format 7 only when a key
// has a prefix part (whatever other format it needs otherwise: format 7
// may carry everything of formats 2 to 6).
// Format 8 adds the column type "BIT" (BIT(M), M = 1 to 64 in "length"),
// whose rows hold a uvarint below 1<<M (row codec) and whose keys are
// keyenc's unsigned integers; its "default" is the value in decimal
// ("5" for b'101'), not text to convert: `active` BIT(1) NOT NULL DEFAULT
// b'1' is {"name": "active", "type": "BIT", "length": 1, "not_null": true,
// "has_default": true, "default": "1"}. A table is written as format 8
// only when a column is BIT (format 8 may carry everything of formats 2
// to 7), so that an older reader refuses it rather than failing on a
// type name it does not know.
// Format 9 lets an ENUM or SET column have a "collation" (format 4's
// column field), the one text assigned to it names its members under
// ('ADMIN' is the member 'admin' under utf8mb4_unicode_ci). The rows and
// keys hold member numbers as before, but an older reader would refuse
// the field on such a column or, worse, match members under utf8mb4_bin,
// so a table is written as format 9 only when such a column has a
// collation (format 9 may carry everything of formats 2 to 8).
// The field "charset" of a column (optional, any format) names the
// character set of a text column other than utf8mb4 ("latin1", "ascii",
// ...; charset.Lookup's names), and the table field "charset" the table's
// default one. The row holds the column's text as UTF-8 whatever its set:
// the set only refuses writes of characters it does not have and changes
// how many bytes the text counts as, so a reader that ignores the field
// misreads no row and it needs no new format number (such a reader takes
// any character into the column, as it would with a CHECK it ignores).
// Files written before it read as utf8mb4 tables. A set this build does
// not know refuses the file.
// The table field "comment" (its COMMENT) may appear in any format: it
// changes no row, so a reader that does not know it loses nothing but the
// text, and it needs no new format number.
// The table field "checks" (optional, any format) lists the CHECK
// constraints: [{"name": "CONSTRAINT_1", "expr": "`a` > 0"}, {"name": "b",
// "column": "b", "expr": "`b` < 10"}]; "column" is set for a column-level
// check. The rows stored are the same with or without them (they only
// refuse writes), so a reader that ignores the field misreads no row and
// it needs no new format number; files written before it read as tables
// without checks.
// The table field "foreign_keys" (optional, any format) lists the FOREIGN
// KEY constraints: [{"name": "c_ibfk_1", "columns": ["pid"], "ref_table":
// "p", "ref_columns": ["id"], "on_delete": "CASCADE"}]; "on_delete" and
// "on_update" are absent for RESTRICT, else "CASCADE", "SET NULL" or "NO
// ACTION". Like "checks", they change no stored row (they refuse writes
// and add writes to other tables), so a reader that ignores the field
// misreads no row and the field needs no new format number; such a
// reader does not enforce them, and one that rewrites the definition
// drops them. Files written before it read as tables without foreign
// keys.
// The table field "fill" (optional, any format) lists the columns an
// ALTER TABLE was still computing the values of when the definition was
// written (TableDef.Fill): ["total", "slug"]. It changes no row; a reader
// that ignores it reads the rows as they are, with those columns at their
// plain defaults until the ALTER is finished.
// auto_reserved and rowid_reserved are high-water marks: no AUTO_INCREMENT
// value or hidden row id at or above them has been handed out, so after a
// crash counting can resume there and never repeat a value. auto_next
// (optional; absent or 0 in files written before it existed) is the
// AUTO_INCREMENT counter itself when the file was written: at a clean
// close, at AUTO_INCREMENT = N and other DDL, when a reservation is
// extended, and at checkpoints. After a crash a CRASH_SAFE table resumes
// from it and the WAL rather than from auto_reserved (see
// table.recoverAuto); readers that do not know it ignore it.
// "crc32c" (optional, any format; written since session 16) is the last
// member of the file: the checksum of filesum.go, over the file's compact
// form, so that the definition a DDL record of the update log embeds
// (compacted there) verifies too. It catches damage that still decodes,
// which the decoder would otherwise take silently: a flipped byte in a key
// drops that field ("crash_safe" read as "cr`sh_safe" made a CRASH_SAFE
// table a plain one), one in a string value changes a name, one in a digit
// a number. Files written before it read without the check. Readers that
// do not know the field ignore it and misread no row, so it needs no new
// format number.
const (
	defFormat         = 1
	defFormatNow      = 2 // a column has default_now or on_update_now
	defFormatTypes    = 3 // a column is TIME, YEAR, ENUM or SET
	defFormatColl     = 4 // a column has a collation other than utf8mb4_bin
	defFormatExpr     = 5 // a column has generated or default_expr
	defFormatKeys     = 6 // key_format 2 and a key has a utf8mb4_bin text column
	defFormatPrefix   = 7 // a key has a prefix part
	defFormatBit      = 8 // a column is BIT
	defFormatEnumColl = 9 // an ENUM or SET column has a collation
	defFormatMax      = defFormatEnumColl

	keyFormatPad = 2 // "key_format": utf8mb4_bin text keys without trailing spaces
)

type defFile struct {
	Format        int       `json:"format"`
	Table         defTable  `json:"table"`
	AutoReserved  uint64    `json:"auto_reserved"`
	AutoNext      uint64    `json:"auto_next,omitempty"`
	RowIDReserved uint64    `json:"rowid_reserved"`
	Written       time.Time `json:"written"`
	// Checksum is "crc32c", the last member (see "Definition file").
	Checksum string `json:"crc32c,omitempty"`
}

type defTable struct {
	Name          string      `json:"name"`
	Columns       []defColumn `json:"columns"`
	PrimaryKey    []string    `json:"primary_key,omitempty"`
	PrimaryPrefix []int       `json:"primary_prefix,omitempty"` // format 7
	Indexes       []IndexDef  `json:"indexes,omitempty"`
	CrashSafe     bool        `json:"crash_safe,omitempty"`
	Collation     string      `json:"collation,omitempty"`    // format 4; absent: utf8mb4_bin
	Charset       string      `json:"charset,omitempty"`      // any format: absent, utf8mb4 (see "charset")
	Comment       string      `json:"comment,omitempty"`      // any format: a reader that ignores it misreads no row
	Checks        []defCheck  `json:"checks,omitempty"`       // any format: a reader that ignores it misreads no row
	ForeignKeys   []defFK     `json:"foreign_keys,omitempty"` // any format: as checks
	Fill          []string    `json:"fill,omitempty"`         // any format: see TableDef.Fill

	// KeyFormat is 2 (format 6, or any format when no key has
	// utf8mb4_bin text); absent, 1.
	KeyFormat int `json:"key_format,omitempty"`
}

type defCheck struct {
	Name   string `json:"name"`
	Column string `json:"column,omitempty"`
	Expr   string `json:"expr"`
}

type defFK struct {
	Name       string   `json:"name"`
	Columns    []string `json:"columns"`
	RefTable   string   `json:"ref_table"`
	RefColumns []string `json:"ref_columns"`
	OnDelete   string   `json:"on_delete,omitempty"` // absent: RESTRICT
	OnUpdate   string   `json:"on_update,omitempty"`
}

func toDefFK(fk ForeignKeyDef) defFK {
	f := defFK{Name: fk.Name, Columns: fk.Columns, RefTable: fk.RefTable, RefColumns: fk.RefColumns}
	if fk.OnDelete != RefRestrict {
		f.OnDelete = fk.OnDelete.String()
	}
	if fk.OnUpdate != RefRestrict {
		f.OnUpdate = fk.OnUpdate.String()
	}
	return f
}

func fromDefFK(f defFK, path string) (ForeignKeyDef, error) {
	fk := ForeignKeyDef{Name: f.Name, Columns: f.Columns, RefTable: f.RefTable, RefColumns: f.RefColumns}
	var ok1, ok2 bool
	fk.OnDelete, ok1 = ParseRefAction(f.OnDelete)
	fk.OnUpdate, ok2 = ParseRefAction(f.OnUpdate)
	if f.Name == "" || f.RefTable == "" || len(f.Columns) == 0 || len(f.Columns) != len(f.RefColumns) || !ok1 || !ok2 {
		return fk, fmt.Errorf("blitz/engine: table definition %s: foreign key %q is malformed", path, f.Name)
	}
	return fk, nil
}

type defColumn struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Unsigned      bool     `json:"unsigned,omitempty"`
	Length        int      `json:"length,omitempty"`
	Precision     int      `json:"precision,omitempty"`
	Scale         int      `json:"scale,omitempty"`
	NotNull       bool     `json:"not_null,omitempty"`
	HasDefault    bool     `json:"has_default,omitempty"`
	Default       *string  `json:"default,omitempty"` // nil with HasDefault: DEFAULT NULL
	AutoIncrement bool     `json:"auto_increment,omitempty"`
	Comment       string   `json:"comment,omitempty"`
	DefaultNow    bool     `json:"default_now,omitempty"`
	OnUpdateNow   bool     `json:"on_update_now,omitempty"`
	Elems         []string `json:"elems,omitempty"`
	Collation     string   `json:"collation,omitempty"` // format 4; absent: utf8mb4_bin
	Charset       string   `json:"charset,omitempty"`   // any format; absent: utf8mb4 (see "charset")

	// Format 5: generated columns and default expressions.
	Generated   string `json:"generated,omitempty"`
	Stored      bool   `json:"stored,omitempty"`
	DefaultExpr string `json:"default_expr,omitempty"`
}

func encodeDef(d *TableDef, autoNext, autoRes, rowRes uint64) ([]byte, error) {
	f := defFile{AutoReserved: autoRes, AutoNext: autoNext, RowIDReserved: rowRes, Written: time.Now().UTC()}
	f.Table, f.Format = toDefTable(d)
	sum, err := fileChecksum(&f)
	if err != nil {
		return nil, err
	}
	f.Checksum = sum
	return json.MarshalIndent(&f, "", "  ")
}

// sameDef reports whether a and b encode to the same definition.
func sameDef(a, b *TableDef) bool {
	ta, _ := toDefTable(a)
	tb, _ := toDefTable(b)
	ja, err1 := json.Marshal(ta)
	jb, err2 := json.Marshal(tb)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// toDefTable returns d in the definition file's encoding and the format
// version it needs.
func toDefTable(d *TableDef) (defTable, int) {
	format := defFormat
	t := defTable{Name: d.Name, PrimaryKey: d.PrimaryKey, Indexes: d.Indexes, CrashSafe: d.CrashSafe, Comment: d.Comment, Fill: d.Fill}
	if d.Collation != nil && !d.Collation.IsBin() {
		t.Collation, format = d.Collation.Name, defFormatColl
	}
	if d.Charset != nil {
		t.Charset = d.Charset.Name
	}
	for _, ck := range d.Checks {
		t.Checks = append(t.Checks, defCheck(ck))
	}
	for _, fk := range d.ForeignKeys {
		t.ForeignKeys = append(t.ForeignKeys, toDefFK(fk))
	}
	if d.hasPrefix() {
		t.PrimaryPrefix = d.PrimaryPrefix
	}
	for _, c := range d.Columns {
		dc := defColumn{Name: c.Name, Type: c.Type.String(), Unsigned: c.Unsigned, Length: c.Length,
			Precision: c.Precision, Scale: c.Scale, NotNull: c.NotNull, HasDefault: c.HasDefault,
			AutoIncrement: c.AutoIncrement, Comment: c.Comment, DefaultNow: c.DefaultNow, OnUpdateNow: c.OnUpdateNow,
			Elems: c.Elems, Generated: c.Generated, Stored: c.Stored, DefaultExpr: c.DefaultExpr}
		if c.Generated != "" || c.DefaultExpr != "" {
			format = max(format, defFormatExpr)
		}
		if (c.DefaultNow || c.OnUpdateNow) && format < defFormatNow {
			format = defFormatNow
		}
		if c.Type >= TypeTime && format < defFormatTypes {
			format = defFormatTypes
		}
		if c.hasCollation() {
			dc.Collation, format = c.Collation.Name, max(format, defFormatColl)
			if c.Type == TypeEnum || c.Type == TypeSet {
				format = max(format, defFormatEnumColl)
			}
		}
		if c.Type == TypeBit {
			format = max(format, defFormatBit)
		}
		if c.Charset != nil {
			dc.Charset = c.Charset.Name
		}
		if c.HasDefault && c.Default != nil {
			s := valueText(c.Default)
			if c.Type >= TypeTime && c.Type != TypeBit {
				s = columnText(&c, c.Default)
			}
			dc.Default = &s
		}
		t.Columns = append(t.Columns, dc)
	}
	if !d.LegacyKeys {
		t.KeyFormat = keyFormatPad
		if d.hasPaddedTextKey() {
			format = max(format, defFormatKeys)
		}
	}
	if d.hasPrefix() {
		format = max(format, defFormatPrefix)
	}
	return t, format
}

// hasPrefix reports whether a key of d has a prefix part.
func (d *TableDef) hasPrefix() bool {
	some := func(prefix []int) bool { return slices.ContainsFunc(prefix, func(n int) bool { return n != 0 }) }
	if some(d.PrimaryPrefix) {
		return true
	}
	return slices.ContainsFunc(d.Indexes, func(ix IndexDef) bool { return some(ix.Prefix) })
}

// defCounters are the counters a definition file holds (see "Definition
// file" above); autoNext is 0 in files written before it existed.
type defCounters struct {
	autoNext, autoRes, rowRes uint64
}

func decodeDef(b []byte, path string) (*TableDef, defCounters, error) {
	var f defFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s is damaged: %v", path, err)
	}
	if err := verifyFileChecksum(b); err != nil {
		return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s is damaged: %v", path, err)
	}
	if f.Format < defFormat || f.Format > defFormatMax {
		return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s has unsupported format %d", path, f.Format)
	}
	if f.Table.KeyFormat > keyFormatPad {
		return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s has unsupported key format %d", path, f.Table.KeyFormat)
	}
	d := &TableDef{Name: f.Table.Name, PrimaryKey: f.Table.PrimaryKey, Indexes: f.Table.Indexes, CrashSafe: f.Table.CrashSafe, Comment: f.Table.Comment,
		LegacyKeys: f.Table.KeyFormat != keyFormatPad, PrimaryPrefix: f.Table.PrimaryPrefix, Fill: f.Table.Fill}
	if f.Format < defFormatPrefix && d.hasPrefix() {
		return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s: format %d has no prefix keys", path, f.Format)
	}
	knownColl := func(name string) (*collate.Collation, error) {
		if name == "" {
			return nil, nil
		}
		c, ok := collate.ByName(name)
		if !ok || f.Format < defFormatColl || c.Name != name {
			return nil, fmt.Errorf("blitz/engine: table definition %s: collation %q is not one this build of blitz knows", path, name)
		}
		return c, nil
	}
	for _, ck := range f.Table.Checks {
		if ck.Name == "" || ck.Expr == "" {
			return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s: a CHECK constraint without a name or a condition", path)
		}
		d.Checks = append(d.Checks, CheckDef(ck))
	}
	for _, f := range f.Table.ForeignKeys {
		fk, err := fromDefFK(f, path)
		if err != nil {
			return nil, defCounters{}, err
		}
		d.ForeignKeys = append(d.ForeignKeys, fk)
	}
	knownCharset := func(name string) (*charset.Charset, error) {
		if name == "" {
			return nil, nil
		}
		cs, err := charset.Lookup(name)
		if err != nil || cs.Name != name {
			return nil, fmt.Errorf("blitz/engine: table definition %s: character set %q is not one this build of blitz knows", path, name)
		}
		if cs.Identity() {
			return nil, nil
		}
		return cs, nil
	}
	var err error
	if d.Collation, err = knownColl(f.Table.Collation); err != nil {
		return nil, defCounters{}, err
	}
	if d.Charset, err = knownCharset(f.Table.Charset); err != nil {
		return nil, defCounters{}, err
	}
	for _, dc := range f.Table.Columns {
		t := Type(0)
		for i, n := range typeNames {
			if n == dc.Type && i > 0 {
				t = Type(i)
			}
		}
		if t == 0 || (t >= TypeTime && f.Format < defFormatTypes) || (t == TypeBit && f.Format < defFormatBit) {
			return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s: column %q has unknown type %q", path, dc.Name, dc.Type)
		}
		c := Column{Name: dc.Name, Type: t, Unsigned: dc.Unsigned, Length: dc.Length, Precision: dc.Precision,
			Scale: dc.Scale, NotNull: dc.NotNull, HasDefault: dc.HasDefault, AutoIncrement: dc.AutoIncrement, Comment: dc.Comment,
			DefaultNow: dc.DefaultNow, OnUpdateNow: dc.OnUpdateNow, Elems: dc.Elems}
		if f.Format >= defFormatExpr {
			c.Generated, c.Stored, c.DefaultExpr = dc.Generated, dc.Stored, dc.DefaultExpr
		}
		if err := validateElems(&c); err != nil {
			return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s: %v", path, err)
		}
		if c.Collation, err = knownColl(dc.Collation); err != nil {
			return nil, defCounters{}, fmt.Errorf("%w (column %q)", err, dc.Name)
		}
		if c.Charset, err = knownCharset(dc.Charset); err != nil {
			return nil, defCounters{}, fmt.Errorf("%w (column %q)", err, dc.Name)
		}
		if c.Collation != nil && (t == TypeEnum || t == TypeSet) && f.Format < defFormatEnumColl {
			return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s: format %d has no collation for %s column %q", path, f.Format, t, dc.Name)
		}
		if dc.Default != nil && t == TypeBit {
			n, err := strconv.ParseUint(*dc.Default, 10, 64)
			if err != nil || c.Length < 1 || c.Length > MaxBitLength || n > BitMax(c.Length) {
				return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s: default of %q: %q is no BIT(%d) value", path, dc.Name, *dc.Default, c.Length)
			}
			c.Default = n
		} else if dc.Default != nil {
			v, err := Coerce(&Column{Name: c.Name, Type: c.Type, Unsigned: c.Unsigned, Length: c.Length,
				Precision: c.Precision, Scale: c.Scale, Elems: c.Elems}, *dc.Default, 0)
			if err != nil {
				return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s: default of %q: %v", path, dc.Name, err)
			}
			c.Default = v
		}
		d.Columns = append(d.Columns, c)
	}
	if err := d.validateStored(); err != nil {
		return nil, defCounters{}, fmt.Errorf("blitz/engine: table definition %s: %v", path, err)
	}
	return d, defCounters{autoNext: f.AutoNext, autoRes: f.AutoReserved, rowRes: f.RowIDReserved}, nil
}
