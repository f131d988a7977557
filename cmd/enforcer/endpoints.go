package main

import (
	"bytes"
	"fmt"
	"net/http"
)

// newHandler serves the daemon's endpoints. /healthz answers while the
// process runs; /readyz only once this process has applied the cluster's
// policies (the maps are loaded, the informers synced and the first Apply
// done), so that a rolling update waits for each node to enforce again;
// it stops being ready when a program is found detached from a device it
// attached. /metrics is in the Prometheus text format.
func newHandler(s *daemonState) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		src, why := s.current()
		if src == nil {
			http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
			return
		}
		st := src.Status()
		if st.Generation == 0 {
			msg := "not ready: waiting for the informers to sync and the first Apply"
			if st.Err != nil {
				msg += ": " + st.Err.Error()
			}
			http.Error(w, msg, http.StatusServiceUnavailable)
			return
		}
		if err := src.CheckAttached(); err != nil {
			// Readiness is asked again and again (netpolcheck before every
			// step): a detached program must stop reading as ready.
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "ready: %s\n", st)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		src, why := s.current()
		if src == nil {
			http.Error(w, "no metrics: "+why, http.StatusServiceUnavailable)
			return
		}
		m, err := src.Metrics()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var b bytes.Buffer
		writeMetrics(&b, m, s.dropsIngress.Load(), s.dropsEgress.Load(), s.tierSamples())
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write(b.Bytes())
	})
	return mux
}
