package main

import (
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	hs := newHistograms(2)
	// 1µs..100µs once each, split over two histograms, and one outlier
	// past the last bucket.
	for k := 1; k <= 100; k++ {
		hs[k%2].record(time.Duration(k)*time.Microsecond + 500*time.Nanosecond)
	}
	hs[0].record(3 * time.Second)
	h := newHistograms(1)[0]
	h.merge(hs[0])
	h.merge(hs[1])
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.01, 2 * time.Microsecond},  // the bucket [1µs, 2µs) holds the first
		{0.50, 52 * time.Microsecond}, // the 51st of 101: 51.5µs
		{0.99, 101 * time.Microsecond},
		{1, 3 * time.Second},
	} {
		if got := h.quantile(tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if h.n != 101 || h.max != 3*time.Second {
		t.Errorf("n, max = %d, %v; want 101, 3s", h.n, h.max)
	}
}
