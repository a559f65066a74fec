package sqlshim

import (
	"context"
	"strings"
	"testing"
)

// TestLoadWordPressDump loads a file written by mariadb-dump 10.11 from
// WordPress-shaped tables (wp_postmeta, wp_options, wp_terms, made on
// MariaDB with WordPress's own key definitions: KEY meta_key
// (meta_key(191)) and the like, utf8mb4_unicode_520_ci) the way `blitz sql
// --force` does: every statement runs, the prefix keys are kept as
// declared, and lookups through them find exactly the matching rows, also
// for two keys that differ only past the 191st character.
func TestLoadWordPressDump(t *testing.T) {
	s := loadDump(t, "../testdata/dump/wordpress-10.11.sql")
	create := toString(mustRun(t, s, "SHOW CREATE TABLE wp_postmeta").Rows[0][1])
	if !strings.Contains(create, "KEY `meta_key` (`meta_key`(191))") {
		t.Errorf("SHOW CREATE TABLE wp_postmeta:\n%s", create)
	}
	for q, want := range map[string]string{
		"SELECT GROUP_CONCAT(post_id ORDER BY post_id) FROM wp_postmeta WHERE meta_key = '_edit_lock'":   "1",
		"SELECT meta_value FROM wp_postmeta WHERE meta_key = CONCAT(REPEAT('k', 191), 'y')":              "long 2",
		"SELECT COUNT(*) FROM wp_postmeta WHERE meta_key LIKE 'kkk%'":                                    "2",
		"SELECT COUNT(*) FROM wp_postmeta WHERE meta_key = REPEAT('k', 191)":                             "0",
		"SELECT GROUP_CONCAT(name) FROM wp_terms WHERE slug = 'ELAN'":                                    "Élan",
		"SELECT GROUP_CONCAT(Sub_part) FROM information_schema.STATISTICS WHERE TABLE_NAME = 'wp_terms'": "191,191",
		"SELECT option_value FROM wp_options WHERE option_name = 'blogname'":                             "It's a blog",
		// As MariaDB answers (checked on 10.11).
		"SELECT GROUP_CONCAT(meta_id ORDER BY meta_id) FROM wp_postmeta FORCE INDEX (meta_key) WHERE meta_key > '_edit_lock' AND meta_key < 'kkkk'": "3,4",
	} {
		if got := toString(mustRun(t, s, q).Rows[0][0]); got != want {
			t.Errorf("%s = %q, want %q", q, got, want)
		}
	}
	// The dump's AUTO_INCREMENT goes on, and WordPress's unique key holds.
	mustRun(t, s, "INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (9, '_edit_lock', 'x')")
	if _, err := s.ExecOne(context.Background(), "INSERT INTO wp_options (option_name, option_value) VALUES ('SITEURL', 'x')", nil); err == nil {
		t.Error("a second option SITEURL (unique key, case-insensitive collation) was accepted")
	}
}
