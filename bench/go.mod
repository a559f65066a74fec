module github.com/blitzdb/blitz/bench

go 1.26.8

require github.com/blitzdb/blitz v0.0.0

replace github.com/blitzdb/blitz => ../
