// Package buildinfo holds the version strings that the CLI, the SQL layer
// and the server report, so that `blitz version`, VERSION(), @@version and
// the protocol handshake never disagree.
package buildinfo

// Version is the blitz release this code is.
const Version = "0.1.0-dev"

// ServerVersion is what VERSION(), @@version, SHOW VARIABLES and the
// MySQL handshake report: a MySQL 8.0 version first, because clients and
// drivers choose their features from it, then blitz's own.
const ServerVersion = "8.0.33-blitz-" + Version
