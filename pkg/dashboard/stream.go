package dashboard

import (
	"bytes"
	"fmt"
	"net/http"
)

// stream serves GET /api/stream[?namespace=]: Server-Sent Events. On connect it sends
// "reset" with every view; then, after each change of the cache, "rollout" with each view
// that changed and "deleted" with the key of each that went. A browser's EventSource
// reconnects by itself (after "retry" ms) and gets a fresh reset.
type stream struct {
	src  Source
	done <-chan struct{} // closed when the server shuts down
}

func (s *stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	ns := r.URL.Query().Get("namespace")
	changed, stop := s.src.Subscribe()
	defer stop()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	sent := map[string][]byte{}
	var buf bytes.Buffer
	buf.WriteString("retry: 1000\n\n")
	entries := s.filter(ns)
	buf.WriteString("event: reset\ndata: [")
	for i, e := range entries {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(e.JSON)
		sent[e.View.Key] = e.JSON
	}
	buf.WriteString("]\n\n")
	if !send(w, flusher, &buf) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-changed:
		}
		seen := map[string]bool{}
		for _, e := range s.filter(ns) {
			seen[e.View.Key] = true
			if old, ok := sent[e.View.Key]; ok && bytes.Equal(old, e.JSON) {
				continue
			}
			sent[e.View.Key] = e.JSON
			fmt.Fprintf(&buf, "event: rollout\ndata: %s\n\n", e.JSON)
		}
		for key := range sent {
			if !seen[key] {
				delete(sent, key)
				fmt.Fprintf(&buf, "event: deleted\ndata: %q\n\n", key)
			}
		}
		if !send(w, flusher, &buf) {
			return
		}
	}
}

func (s *stream) filter(ns string) []Entry {
	all := s.src.Snapshot()
	if ns == "" {
		return all
	}
	var out []Entry
	for _, e := range all {
		if e.View.Namespace == ns {
			out = append(out, e)
		}
	}
	return out
}

// send writes and flushes buf (if not empty) and resets it; false when the client is gone.
func send(w http.ResponseWriter, f http.Flusher, buf *bytes.Buffer) bool {
	if buf.Len() == 0 {
		return true
	}
	_, err := w.Write(buf.Bytes())
	buf.Reset()
	if err != nil {
		return false
	}
	f.Flush()
	return true
}
