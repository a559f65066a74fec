module github.com/blitzdb/blitz/bench/commit

go 1.26.8

require github.com/blitzdb/blitz v0.0.0

require golang.org/x/sys v0.49.0 // indirect

replace github.com/blitzdb/blitz => ../../
