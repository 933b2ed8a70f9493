-- wrk script: POST /v1/jobs with a distinct job per request (bench/api/run.sh).
-- Environment: API_BENCH_PREFIX names the jobs (default "wrk"), so runs in
-- one cluster do not overwrite each other's jobs.
-- Jobs are enabled, "@yearly" (none fires during a run), shell "true".
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  prefix = (os.getenv("API_BENCH_PREFIX") or "wrk") .. "-" .. tid .. "-"
  sent = 0
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  sent = sent + 1
  local body = '{"name":"' .. prefix .. sent ..
      '","schedule":"@yearly","executor":"shell","executor_config":{"command":"true"},' ..
      '"tags":{"role":"bench"},"retries":1,"concurrency":"allow"}'
  return wrk.format("POST", "/v1/jobs", headers, body)
end
