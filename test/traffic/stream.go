package traffic

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/serin-dev/serin/test/podsim"
)

// Run sends the requests of c and returns their records, in the order they were sent,
// once the stream ended (Count sent, Duration over, or ctx done). The error is for an
// invalid Config only: failed requests are records.
func Run(ctx context.Context, c Config) (Records, error) {
	s, err := Start(ctx, c)
	if err != nil {
		return nil, err
	}
	return s.Wait(), nil
}

// Stream is a stream of requests running in the background: a steady load across a
// rollout, stopped by Stop.
type Stream struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	records Records
}

// Start starts sending the requests of c in the background.
func Start(ctx context.Context, c Config) (*Stream, error) {
	u, err := c.validate()
	if err != nil {
		return nil, err
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	// Duration and Stop end the dispatch; requests already sent finish (within Timeout).
	dispatchCtx, cancel := context.WithTimeout(ctx, c.Duration)
	s := &Stream{cancel: cancel, done: make(chan struct{})}
	client := newClient(c.Timeout, c.Concurrency)
	target := u.String()

	seqs := make(chan int)
	go dispatch(dispatchCtx, c, seqs)
	var workers sync.WaitGroup
	for range c.Concurrency {
		workers.Go(func() {
			for seq := range seqs {
				s.add(send(ctx, client, c, target, seq))
			}
		})
	}
	go func() {
		workers.Wait()
		cancel()
		client.CloseIdleConnections()
		close(s.done)
	}()
	return s, nil
}

// dispatch hands out the sequence numbers 0..Count-1 to the workers, at c.Rate per second
// when set (request i is due at start + i/Rate; a late one goes at once), until ctx ends.
func dispatch(ctx context.Context, c Config, seqs chan<- int) {
	defer close(seqs)
	start := time.Now()
	for i := range c.Count {
		if c.Rate > 0 {
			due := start.Add(time.Duration(float64(i) / c.Rate * float64(time.Second)))
			if wait := time.Until(due); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return
				}
			}
		}
		select {
		case seqs <- i:
		case <-ctx.Done():
			return
		}
	}
}

// send makes one request and records it.
func send(ctx context.Context, client *http.Client, c Config, target string, seq int) Record {
	rec := Record{Seq: seq, Sent: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		rec.Err = err.Error()
		return rec
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.Host != "" {
		req.Host = c.Host
	}
	for _, ck := range c.Cookies {
		req.AddCookie(ck)
	}
	resp, err := client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	rec.Duration = time.Since(rec.Sent)
	if resp != nil {
		rec.Status = resp.StatusCode
		rec.Pod = resp.Header.Get(podsim.HeaderPod)
		rec.Namespace = resp.Header.Get(podsim.HeaderNamespace)
		rec.Revision = resp.Header.Get(podsim.HeaderRevision)
	}
	if err != nil {
		rec.Err = err.Error()
	}
	return rec
}

func (s *Stream) add(r Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, r)
}

// Records returns the records so far, ordered by send time.
func (s *Stream) Records() Records {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sorted(s.records)
}

// Stop stops sending, waits for the requests in flight (each within Timeout) and returns
// every record.
func (s *Stream) Stop() Records {
	s.cancel()
	return s.Wait()
}

// Wait waits until the stream ended by itself (Count or Duration) and returns every
// record.
func (s *Stream) Wait() Records {
	<-s.done
	return s.Records()
}
