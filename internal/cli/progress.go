package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// progressBar draws "rows, rows/s, bytes" on one terminal line, at most ten
// times a second. On a non-terminal it stays silent (the summary follows).
type progressBar struct {
	w       io.Writer
	tty     bool
	label   string
	total   int64 // bytes expected, 0 when unknown
	start   time.Time
	mu      sync.Mutex
	last    time.Time
	done    map[string][2]int64 // finished files: rows, bytes
	file    string
	rows    int64
	bytes   int64
	drawn   bool
	nowFunc func() time.Time
}

func newProgressBar(w io.Writer, label string, totalBytes int64) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	return &progressBar{w: w, tty: tty, label: label, total: totalBytes, start: time.Now(), done: map[string][2]int64{}, nowFunc: time.Now}
}

// update receives the readers' progress: counts so far within file.
func (p *progressBar) update(file string, rows, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if file != p.file && p.file != "" {
		p.done[p.file] = [2]int64{p.rows, p.bytes}
	}
	p.file, p.rows, p.bytes = file, rows, bytes
	now := p.nowFunc()
	if !p.tty || now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	p.draw(now)
}

func (p *progressBar) totals() (rows, bytes int64) {
	for f, d := range p.done {
		if f != p.file {
			rows += d[0]
			bytes += d[1]
		}
	}
	return rows + p.rows, bytes + p.bytes
}

func (p *progressBar) draw(now time.Time) {
	rows, bytes := p.totals()
	secs := now.Sub(p.start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(rows) / secs
	}
	size := humanBytes(bytes)
	if p.total > 0 {
		size += " / " + humanBytes(p.total)
	}
	fmt.Fprintf(p.w, "\r\033[K%s  %s rows  %s rows/s  %s", p.label, groupDigits(rows), groupDigits(int64(rate)), size)
	p.drawn = true
}

// finish clears the line.
func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
