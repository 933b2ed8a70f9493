// The peer side of bench/cron: robfig/cron v3.0.1 (Debian's
// golang-github-robfig-cron-dev, the version Dkron uses) timed on the same
// specs and loop as cron_bench.cc. Prints "<metric> <ns/op>" lines.
package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

var parser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom |
	cron.Month | cron.Dow | cron.Descriptor)

var (
	start = time.Unix(1764547200, 0).UTC()
	end   = time.Unix(4102444800, 0).UTC()
	sink  interface{}
)

func parse(spec string) func(b *testing.B) {
	return func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			s, err := parser.Parse(spec)
			if err != nil {
				panic(err)
			}
			sink = s
		}
	}
}

func next(spec string) func(b *testing.B) {
	s, err := parser.Parse(spec)
	if err != nil {
		panic(err)
	}
	return func(b *testing.B) {
		t := start
		for i := 0; i < b.N; i++ {
			n := s.Next(t)
			if n.IsZero() || !n.Before(end) {
				n = start
			}
			t = n
		}
		sink = t
	}
}

func main() {
	cases := []struct {
		metric string
		fn     func(b *testing.B)
	}{
		{"parse/fixed", parse("0 30 2 * * *")},
		{"parse/ranges", parse("*/15 0-30 9-17 * JAN-JUN MON-FRI")},
		{"parse/descriptor", parse("@daily")},
		{"parse/every", parse("@every 1h30m")},
		{"next/fixed_utc", next("CRON_TZ=UTC 0 30 2 * * *")},
		{"next/wildcard_utc", next("CRON_TZ=UTC */15 * * * * *")},
		{"next/ranges_utc", next("CRON_TZ=UTC */15 0-30 9-17 * JAN-JUN MON-FRI")},
		{"next/fixed_new_york", next("CRON_TZ=America/New_York 0 30 2 * * *")},
		{"next/wildcard_new_york", next("CRON_TZ=America/New_York 0 */5 * * * *")},
		{"next/leap_day", next("CRON_TZ=UTC 0 0 0 29 2 *")},
		{"next/every", next("@every 10s")},
	}
	for _, c := range cases {
		r := testing.Benchmark(c.fn)
		fmt.Printf("%s %.1f\n", c.metric, float64(r.T.Nanoseconds())/float64(r.N))
	}
}
