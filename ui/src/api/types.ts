// The API's JSON shapes (docs/openapi.json), as the UI uses them.

export type JobStatus = 'success' | 'failed' | 'partially_failed' | 'running' | 'untriggered' | '';

export interface Job {
  id?: string;
  name: string;
  displayname?: string;
  timezone?: string;
  schedule: string;
  owner?: string;
  owner_email?: string;
  success_count?: number;
  error_count?: number;
  last_success?: string | null;
  last_error?: string | null;
  disabled?: boolean;
  tags?: Record<string, string> | null;
  metadata?: Record<string, string> | null;
  retries?: number;
  dependent_jobs?: string[] | null;
  parent_job?: string;
  processors?: Record<string, Record<string, string>> | null;
  concurrency?: string;
  executor?: string;
  executor_config?: Record<string, string> | null;
  status?: JobStatus;
  next?: string;
  ephemeral?: boolean;
  starts_at?: string | null;
  expires_at?: string | null;
  misfire_policy?: string;
  starting_deadline?: string | null;
  retry_backoff?: string | null;
}

export interface Execution {
  id: string;
  job_name: string;
  started_at: string;
  finished_at: string;
  success: boolean;
  output: string;
  node_name: string;
  group: number;
  attempt: number;
  output_truncated?: boolean;
}

export interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  Status: number;
  statusText?: string;
}

export interface DayStats {
  date: string;
  success_count: number;
  failed_count: number;
}

/** GET /v1/jobs/{job}/next and /v1/schedule/next (ckron). */
export interface NextFires {
  job: string;
  schedule: string;
  /** The zone the schedule runs in; every time in `next` carries its offset. */
  timezone: string;
  next: string[];
  /** Why `next` holds fewer times than asked (disabled, paused, @manually, ...). */
  reason?: string;
}

/** GET /v1/raft/peers (ckron): one server of the Raft configuration. */
export interface RaftPeer {
  id: string;
  name: string;
  address: string;
  suffrage: 'voter' | 'standby' | 'spare' | string;
  leader: boolean;
}
