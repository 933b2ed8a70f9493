module ckron.local/bench/robfig

go 1.19

require github.com/robfig/cron/v3 v3.0.1

// Offline: Debian's golang-github-robfig-cron-dev sources.
replace github.com/robfig/cron/v3 => /usr/share/gocode/src/github.com/robfig/cron
