package main

import "time"

// histogram counts latencies in 1µs buckets up to histogramMax, and keeps
// the maximum exactly. Recording allocates nothing, so the tool's own
// bookkeeping does not show up in the allocations per lookup.
type histogram struct {
	counts []uint32 // counts[k]: latencies in [k, k+1) µs; the last bucket holds all from histogramMax on
	n      int64
	max    time.Duration
}

const histogramMax = 100 * time.Millisecond

func newHistograms(n int) []*histogram {
	hs := make([]*histogram, n)
	for k := range hs {
		hs[k] = &histogram{counts: make([]uint32, histogramMax/time.Microsecond+1)}
	}
	return hs
}

func (h *histogram) record(d time.Duration) {
	k := min(int(d/time.Microsecond), len(h.counts)-1)
	h.counts[k]++
	h.n++
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for k, c := range o.counts {
		h.counts[k] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the upper bound of the bucket holding the q-quantile
// (0 < q <= 1), or the maximum when that is in the last bucket or lower.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.5)
	rank = max(rank, 1)
	var seen int64
	for k, c := range h.counts {
		if seen += int64(c); seen >= rank {
			if k == len(h.counts)-1 {
				return h.max
			}
			return min(time.Duration(k+1)*time.Microsecond, h.max)
		}
	}
	return h.max
}
