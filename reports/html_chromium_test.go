package reports

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const chromiumPath = "/usr/bin/chromium"

// renderInChromium writes page to a file, loads it in headless Chromium and
// returns the DOM after the scripts ran and the console lines Chromium logged.
// Chromium is started with everything that phones home turned off and only
// ever loads this local file.
func renderInChromium(t *testing.T, page string) (dom string, console []string) {
	t.Helper()
	return renderInChromiumWithFragment(t, page, "")
}

// renderInChromiumWithFragment is renderInChromium with "#fragment" after
// the page's address, as a shared link to a filtered view would have.
func renderInChromiumWithFragment(t *testing.T, page, fragment string) (dom string, console []string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
		"--dump-dom", "file://"+path+fragment)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
			console = append(console, line)
		}
	}
	return stdout.String(), console
}

// tableGlyphs returns the glyphs of the nth (0-based) table with the given
// class, row by row, "|" between rows.
func tableGlyphs(t *testing.T, dom, class string, n int) string {
	t.Helper()
	tables := regexp.MustCompile(`(?s)<table class="`+regexp.QuoteMeta(class)+`">(.*?)</table>`).FindAllStringSubmatch(dom, -1)
	if n >= len(tables) {
		t.Fatalf("the DOM has %d tables of class %q, want at least %d", len(tables), class, n+1)
	}
	var rows []string
	for _, row := range regexp.MustCompile(`(?s)<tbody>(.*?)</tbody>`).FindStringSubmatch(tables[n][1])[1:] {
		for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(row, -1) {
			var glyphs string
			for _, td := range regexp.MustCompile(`<td[^>]*>([^<]*)</td>`).FindAllStringSubmatch(tr[1], -1) {
				glyphs += td[1]
			}
			rows = append(rows, glyphs)
		}
	}
	return strings.Join(rows, "|")
}

// chromiumFixture is the run fixture with a scenario name that would run a
// script if the page ever treated data as markup.
func chromiumFixture() *Results {
	r := runFixture()
	r.Scenarios[0].Name = `</script><script>document.body.setAttribute("data-hacked","1")</script><b>bold</b>`
	r.Scenarios[0].Setup = 1.5
	r.Scenarios[0].Steps[0].Phases = &StepPhases{Apply: 0.25, Rounds: []Round{{Seconds: 2, Cells: 4, TimedOut: 1}}}
	return r
}

func TestIntegrationHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: starts headless Chromium (-short)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping: %s is not installed (apt-get install chromium): %v", chromiumPath, err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, chromiumFixture()); err != nil {
		t.Fatal(err)
	}

	t.Run("first failing scenario open", func(t *testing.T) {
		dom, console := renderInChromium(t, b.String())
		if len(console) > 0 {
			t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
		}
		for _, want := range []string{
			`<details class="scenario s-fail" id="scenario-1" data-rendered="true" open="">`,
			`<span class="count s-pass">1 passed</span>`,
			`<span class="count s-fail">1 failed</span>`,
			`<span class="count s-error">1 errored</span>`,
			`<span class="count s-skipped">1 skipped</span>`,
			`<span id="shown">4 of 4 scenarios shown</span>`,
			`<label class="s-pass"><input type="checkbox" checked="" data-status="pass"> passed</label>`,
			`<td class="v-fail mismatch" data-cell="3" title="x/b -&gt; x/a 80/TCP: expected blocked, observed allowed">X</td>`,
			`<li>skipped: SCTP is not supported by this cluster</li>`,
			`converge 2.50s, 3 retries`,
			`<h2>Where the time went</h2>`,
			`<dt>probing</dt><dd>2.00s in 1 round (4 probes, 1 waited out their timeout)</dd>`,
			`<dt>setup</dt><dd>1.50s</dd>`,
			`&lt;/script&gt;&lt;script&gt;document.body.setAttribute("data-hacked","1")&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;`,
		} {
			if !strings.Contains(dom, want) {
				t.Errorf("the DOM lacks %s", want)
			}
		}
		for _, unwanted := range []string{"data-hacked=", "<b>bold</b>"} {
			if strings.Contains(dom, unwanted) {
				t.Errorf("the DOM contains %s: data was treated as markup", unwanted)
			}
		}
		// Only the open scenario's two steps are drawn: 80/TCP for the
		// baseline, 80/TCP and 132/SCTP for the failing step.
		if got := strings.Count(dom, `<table class="matrix matrix-expected">`); got != 3 {
			t.Errorf("the DOM has %d expected matrices, want 3 (closed scenarios are drawn lazily)", got)
		}
		for _, tt := range []struct {
			class string
			n     int
			want  string
		}{
			{"matrix matrix-expected", 1, ".X.|X..|XX?"},
			{"matrix matrix-observed", 1, ".XE|...|XX?"},
			{"matrix matrix-comparison", 1, "..E|X..|..?"},
			{"matrix matrix-observed", 2, "?S|S?"},
		} {
			if got := tableGlyphs(t, dom, tt.class, tt.n); got != tt.want {
				t.Errorf("%s #%d glyphs = %q, want %q", tt.class, tt.n, got, tt.want)
			}
		}
	})

	t.Run("clicks, filters and lazy opening", func(t *testing.T) {
		// The test drives the page as a reader would, from a script added after the report's own.
		interact := `<script>
document.querySelector("table.matrix-comparison td.mismatch").click();
document.querySelector('input[data-status="pass"]').click();
document.getElementById("scenario-3").open = true;
</script>
</body>`
		dom, console := renderInChromium(t, strings.Replace(b.String(), "</body>", interact, 1))
		if len(console) > 0 {
			t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
		}
		for _, want := range []string{
			`<div class="cell-detail"><h4>x/b -&gt; x/a 80/TCP</h4>`,
			`<dt>expected</dt><dd>blocked</dd><dt>observed</dt><dd>allowed</dd><dt>verdict</dt><dd>fail</dd>`,
			`<dt>explanation</dt><dd><pre>x/a is isolated for ingress by x/deny-all; no rule allows x/b</pre></dd>`,
			`<dt>reproduce</dt><dd><pre>netpolcheck probe --from x/b --to x/a --port 80/TCP</pre></dd>`,
			`<span id="shown">3 of 4 scenarios shown</span>`,
			`<details class="scenario s-pass" id="scenario-0" hidden="">`,
			`<details class="scenario s-skipped" id="scenario-3" open="" data-rendered="true">`,
			`<h3><span class="badge s-skipped">skipped</span> step 1/1: sctp</h3>`,
		} {
			if !strings.Contains(dom, want) {
				t.Errorf("the DOM lacks %s", want)
			}
		}
		if got := strings.Count(dom, `class="v-fail mismatch selected"`); got != 1 {
			t.Errorf("%d selected mismatch cells in the comparison matrix, want 1", got)
		}
	})
}
