package command

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// recoveryProgress returns an engine.Options.Progress callback that draws
// a progress bar for long recovery work (index rebuilds) on w when w is a
// terminal, and nil otherwise: logs and pipes get the slog lines only.
func recoveryProgress(w io.Writer) func(stage string, done, total int64) {
	if !isTerminal(w) {
		return nil
	}
	return newProgress(w)
}

// newProgress draws one bar per stage on w. The engine may report from
// several goroutines, so calls are serialised.
func newProgress(w io.Writer) func(stage string, done, total int64) {
	var (
		mu    sync.Mutex
		bar   *progressbar.ProgressBar
		stage string
	)
	return func(s string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		if bar == nil || s != stage {
			if bar != nil {
				bar.Finish()
			}
			stage = s
			bar = progressbar.NewOptions64(max(total, 1), progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(s), progressbar.OptionShowCount(),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetPredictTime(true))
		}
		bar.Set64(min(done, max(total, 1)))
		if done >= total {
			bar.Finish()
			io.WriteString(w, "\n")
			bar = nil
		}
	}
}
