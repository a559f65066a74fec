// Package autorecover holds the crash and corruption tests of blitz's
// recovery. (Documentation in progress.)
package autorecover
