package datafile

// scanChunk is how many records a scan hands over at a time: enough that
// the hand-over costs nothing per record, few enough that the chunks in
// flight stay in cache.
const scanChunk = 1024

// pipeline runs produce on a goroutine of its own and consume on the
// caller's, handing over the records produce emits, in order, in chunks.
//
// Optimize and Salvage run their scans through it: verifying a record
// (its CRC, its key's hash: sequential work on the source) and placing it
// (random chain heads, copies, system calls) each take about half the
// time, so on two cores the rewrite takes about as long as the slower half.
//
// emit reports false once consume has failed: produce should then return
// (its error is ignored). pipeline returns produce's error, else consume's;
// when it returns, produce has returned, so whatever produce wrote is
// visible to the caller.
func pipeline(produce func(emit func(scanned) bool) error, consume func([]scanned) error) error {
	const chunks = 4
	full := make(chan []scanned, chunks)
	free := make(chan []scanned, chunks)
	for range chunks {
		free <- make([]scanned, 0, scanChunk)
	}
	stop := make(chan struct{})
	var perr error
	go func() {
		defer close(full)
		cur := <-free
		emit := func(r scanned) bool {
			cur = append(cur, r)
			if len(cur) < scanChunk {
				return true
			}
			full <- cur // never blocks: there are only as many chunks as room
			cur = nil
			select {
			case cur = <-free:
				return true
			case <-stop:
				return false
			}
		}
		perr = produce(emit)
		if len(cur) > 0 {
			full <- cur
		}
	}()
	var cerr error
	for c := range full {
		if cerr == nil {
			if cerr = consume(c); cerr != nil {
				close(stop)
			}
		}
		free <- c[:0]
	}
	if perr != nil {
		return perr
	}
	return cerr
}

// inBatches calls fn on consecutive slices of c of at most batchSize records.
func inBatches(c []scanned, fn func([]scanned) error) error {
	for len(c) > 0 {
		n := min(len(c), batchSize)
		if err := fn(c[:n]); err != nil {
			return err
		}
		c = c[n:]
	}
	return nil
}
