package command

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TestServeKill9DuringHotBackup: `blitz serve` (with an update log) under
// a load of autocommit inserts into a CRASH_SAFE table, transactions that
// write a CRASH_SAFE and a plain table together, and statements that
// update every row of the CRASH_SAFE table (enough WAL for checkpoints
// and segment switches), is killed with SIGKILL at a random moment of a
// hot backup (BACKUP DATABASE, what `blitz backup -d DIR` sends it).
// Then:
//
//   - the backup directory holds BACKUP.json and restores to a database
//     whose tables CHECK OK, or lacks it and `blitz restore` refuses it
//     as no backup;
//   - restarted without --auto-recover, the CRASH_SAFE table answers with
//     every acknowledged commit, and the plain table answers or gives
//     error 1194 naming it;
//   - restarted with --auto-recover, every table CHECKs OK, reads through
//     each index agree with a full scan, every acknowledged commit of the
//     CRASH_SAFE table is there, and the server stops cleanly;
//   - the restore of the backup plus the update log holds every
//     acknowledged commit of the CRASH_SAFE table too.
//
// Two rounds by default (a few seconds); BLITZ_TORTURE=N runs N.
func TestServeKill9DuringHotBackup(t *testing.T) {
	rounds := 2
	if v := os.Getenv("BLITZ_TORTURE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("BLITZ_TORTURE=%q: want a count", v)
		}
		rounds = n
	}
	if testing.Short() {
		rounds = 1
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv("BLITZ_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	t.Logf("seed %d (replay with BLITZ_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	start := time.Now()
	var complete, incomplete, totalAcks int
	for round := 0; round < rounds; round++ {
		if time.Since(start) > time.Duration(rounds)*30*time.Second {
			t.Fatalf("round %d: over the time budget", round)
		}
		c, n := hotBackupKillRound(t, rng, round)
		totalAcks += n
		if c {
			complete++
		} else {
			incomplete++
		}
	}
	t.Logf("%d rounds: %d backups complete at the kill, %d cut short; %d acknowledged commits kept; %v",
		rounds, complete, incomplete, totalAcks, time.Since(start).Round(time.Millisecond))
}

// hotBackupKillRound runs one round of TestServeKill9DuringHotBackup and
// returns whether the backup was complete and the acknowledged commits.
func hotBackupKillRound(t *testing.T, rng *rand.Rand, round int) (bool, int) {
	root := t.TempDir()
	dir, ulogDir, bk := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "bk")
	p := startServe(t, dir, "--ulog", ulogDir, "--wal-segment-size", "64K")
	db := p.open(t, "db")
	mustExec(t, db, "CREATE TABLE cs (id INT PRIMARY KEY, g INT NOT NULL, v VARCHAR(100) NOT NULL, KEY g_idx (g)) ENGINE = BLITZDB, CRASH_SAFE")
	mustExec(t, db, "CREATE TABLE pl (id INT PRIMARY KEY, g INT NOT NULL, KEY g_idx (g)) ENGINE = BLITZDB")
	var vals []string
	for i := 1; i <= 3000; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, '%s')", -i, i%13, strings.Repeat("v", i%90)))
	}
	mustExec(t, db, "INSERT INTO cs VALUES "+strings.Join(vals, ", "))

	var mu sync.Mutex
	var acked []int // ids of acknowledged commits to cs
	ack := func(id int) { mu.Lock(); acked = append(acked, id); mu.Unlock() }
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20000 && ctx.Err() == nil; i++ {
				id := (w+1)*1_000_000 + i
				switch w {
				case 0: // autocommit into the crash-safe table
					if _, err := db.ExecContext(ctx, "INSERT INTO cs VALUES (?, ?, 'a')", id, i%13); err != nil {
						return
					}
				case 1: // both tables in one transaction
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						return
					}
					if _, err := tx.Exec("INSERT INTO cs VALUES (?, ?, 'tx')", id, i%13); err != nil {
						tx.Rollback()
						return
					}
					if _, err := tx.Exec("INSERT INTO pl VALUES (?, ?)", id, i%13); err != nil {
						tx.Rollback()
						return
					}
					if err := tx.Commit(); err != nil {
						return
					}
				default: // WAL volume: checkpoints and segment switches
					if _, err := db.ExecContext(ctx, "UPDATE cs SET g = g + 1 WHERE id < 0"); err != nil {
						return
					}
					continue
				}
				ack(id)
			}
		}()
	}
	// Some load first, then the backup, and the kill at a random moment of it.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 100 {
			break
		}
	}
	bdone := make(chan error, 1)
	go func() {
		_, err := db.Exec("BACKUP DATABASE * TO '" + bk + "'")
		bdone <- err
	}()
	select {
	case err := <-bdone:
		bdone <- err
	case <-time.After(time.Duration(rng.Intn(200)) * time.Millisecond):
	}
	p.cmd.Process.Kill()
	p.wait(t, 10*time.Second)
	cancel()
	wg.Wait()
	mu.Lock()
	acks := append([]int(nil), acked...)
	mu.Unlock()

	// The backup: complete, or refused by restore as no backup (or as
	// missing, when the kill came before the backup made its directory).
	r := filepath.Join(root, "r")
	_, err := os.Stat(filepath.Join(bk, "BACKUP.json"))
	complete := err == nil
	_, err = os.Stat(bk)
	missing := errors.Is(err, os.ErrNotExist)
	code, out, errs := run(t, "", "restore", "-d", r, "--from", bk, "--ulog", ulogDir)
	switch {
	case complete && code != ExitOK:
		t.Fatalf("round %d: restore of a complete backup: exit %d\n%s%s", round, code, out, errs)
	case missing && (code == ExitOK || !strings.Contains(errs, "does not exist")):
		t.Fatalf("round %d: restore of a backup killed before it made its directory: exit %d, stderr %q", round, code, errs)
	case !complete && !missing && (code == ExitOK || !strings.Contains(errs, "not a backup")):
		t.Fatalf("round %d: restore of a backup cut short by the kill: exit %d, stderr %q; want it refused as no backup", round, code, errs)
	}
	if complete {
		if code, out, errs := run(t, "", "check", "-d", r); code != ExitOK {
			t.Fatalf("round %d: check of the restored backup: exit %d\n%s%s", round, code, out, errs)
		}
		checkAcked(t, fmt.Sprintf("round %d: restored backup + update log", round), r, acks)
	}

	// Without --auto-recover: cs answers with every acknowledged commit,
	// pl answers or is 1194 naming it.
	code, out, errs = run(t, "", "sql", "-d", dir, "-e", "SELECT COUNT(*) FROM pl")
	if code != ExitOK && !strings.Contains(errs, "ERROR 1194") {
		t.Fatalf("round %d: plain table after kill -9: exit %d %q; want rows or error 1194", round, code, errs)
	}
	if code != ExitOK && !strings.Contains(errs, "'pl'") {
		t.Fatalf("round %d: error 1194 does not name the table: %q", round, errs)
	}
	checkAcked(t, fmt.Sprintf("round %d: without --auto-recover", round), dir, acks)

	// With --auto-recover through a restarted server.
	p2 := startServe(t, dir, "--auto-recover", "--ulog", ulogDir)
	db2 := p2.open(t, "db")
	for _, tbl := range []string{"cs", "pl"} {
		var name, op, typ, msg string
		if err := db2.QueryRow("CHECK TABLE "+tbl).Scan(&name, &op, &typ, &msg); err != nil || msg != "OK" {
			t.Fatalf("round %d: CHECK TABLE %s after --auto-recover: %s %v\n%s", round, tbl, msg, err, p2.errText())
		}
		var n1, s1, n2, s2 int64
		if err := db2.QueryRow("SELECT COUNT(*), COALESCE(SUM(id), 0) FROM "+tbl+" IGNORE INDEX (PRIMARY, g_idx)").Scan(&n1, &s1); err != nil {
			t.Fatal(err)
		}
		if err := db2.QueryRow("SELECT COUNT(*), COALESCE(SUM(id), 0) FROM "+tbl+" FORCE INDEX (g_idx) WHERE g >= -2147483648").Scan(&n2, &s2); err != nil {
			t.Fatal(err)
		}
		if n1 != n2 || s1 != s2 {
			t.Fatalf("round %d: %s: full scan %d rows (sum %d), through g_idx %d (sum %d)", round, tbl, n1, s1, n2, s2)
		}
	}
	have := idsOf(t, db2, "cs")
	for _, id := range acks {
		if !have[id] {
			t.Fatalf("round %d: acknowledged id %d lost after kill -9 and --auto-recover (%d acknowledged)", round, id, len(acks))
		}
	}
	mustExec(t, db2, "INSERT INTO pl VALUES (-1, 0)")
	db2.Close()
	p2.cmd.Process.Signal(os.Interrupt)
	if code := p2.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("round %d: exit %d after SIGINT\n%s", round, code, p2.errText())
	}
	t.Logf("round %d: backup complete at the kill %v, %d acknowledged commits", round, complete, len(acks))
	return complete, len(acks)
}

// checkAcked opens dir with `blitz sql` (no recovery) and checks that
// table cs holds every id of acks.
func checkAcked(t *testing.T, what, dir string, acks []int) {
	t.Helper()
	code, out, errs := run(t, "", "sql", "-d", dir, "-e", "SELECT id FROM cs WHERE id > 0")
	if code != ExitOK {
		t.Fatalf("%s: read cs: exit %d %s", what, code, errs)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(out, "\n")[1:] {
		have[l] = true
	}
	for _, id := range acks {
		if !have[strconv.Itoa(id)] {
			t.Fatalf("%s: acknowledged id %d is missing (%d acknowledged)", what, id, len(acks))
		}
	}
}

func idsOf(t *testing.T, db *sql.DB, table string) map[int]bool {
	t.Helper()
	rows, err := db.Query("SELECT id FROM " + table)
	if err != nil {
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			t.Fatalf("read %s: error %d %s", table, me.Number, me.Message)
		}
		t.Fatal(err)
	}
	defer rows.Close()
	have := map[int]bool{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return have
}
