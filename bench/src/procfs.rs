//! What `/proc` says about the launched processes and the machine: peak resident set, CPU
//! time.

use anyhow::Context;

/// A process's `VmHWM` (peak resident set) in KiB, from `/proc/<pid>/status`.
pub fn peak_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmHWM in /proc/{pid}/status"))
}

/// Resets a process's peak resident set to its current one (`clear_refs` 5, Linux ≥ 4.0),
/// so the next [`peak_rss_kib`] is the peak of what happens from now on.
pub fn reset_peak_rss(pid: u32) -> anyhow::Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .with_context(|| format!("cannot reset the peak RSS of {pid}"))
}

/// CPU time (user + system) a process has used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    stat_cpu_seconds(&format!("/proc/{pid}/stat"))
}

/// CPU time (user + system) one thread of this process has used so far, in seconds.
pub fn thread_cpu_seconds(tid: i32) -> anyhow::Result<f64> {
    stat_cpu_seconds(&format!("/proc/self/task/{tid}/stat"))
}

/// utime + stime of a `/proc/…/stat` file (same layout for processes and threads).
fn stat_cpu_seconds(path: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    // The command name (field 2) may contain spaces; fields after its ')' are plain.
    let rest = stat
        .rsplit_once(')')
        .with_context(|| format!("malformed {path}"))?
        .1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15, i.e. 12 and 13 after the state (field 3).
    let ticks: u64 = [11, 12]
        .iter()
        .map(|&i| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum();
    Ok(ticks as f64 / ticks_per_second())
}

/// Machine-wide CPU time so far, in seconds summed over CPUs: `(busy, total)`.
pub fn machine_cpu_seconds() -> anyhow::Result<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().context("empty /proc/stat")?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = ticks.iter().take(8).sum();
    // idle and iowait are the 4th and 5th.
    let idle = ticks.get(3).unwrap_or(&0) + ticks.get(4).unwrap_or(&0);
    let hz = ticks_per_second();
    Ok(((total - idle) as f64 / hz, total as f64 / hz))
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

#[cfg(test)]
mod tests {
    use std::{sync::mpsc, time::Duration};

    use super::*;

    /// This thread's CPU time by the kernel's other clock (clock_gettime).
    fn own_cpu() -> Duration {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime(2) writes into the timespec we own.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
        Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
    }

    #[test]
    fn a_busy_threads_cpu_time_is_its_own_and_part_of_the_process() {
        let (spun_tx, spun_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let busy = std::thread::spawn(move || {
            // 250 ms of CPU, however busy the machine is.
            let mut spins = 0u64;
            while own_cpu() < Duration::from_millis(250) {
                spins = std::hint::black_box(spins + 1);
            }
            // SAFETY: gettid(2) has no preconditions.
            spun_tx.send(unsafe { libc::gettid() }).unwrap();
            // Stay alive until measured: a finished thread has no /proc entry.
            done_rx.recv().ok();
        });
        let tid = spun_rx.recv().unwrap();

        let thread = thread_cpu_seconds(tid).unwrap();
        let process = cpu_seconds(std::process::id()).unwrap();
        // SAFETY: as above.
        let this = thread_cpu_seconds(unsafe { libc::gettid() }).unwrap();

        done_tx.send(()).unwrap();
        busy.join().unwrap();
        // /proc counts in clock ticks (usually 10 ms).
        assert!(
            thread >= 0.2,
            "the spinning thread used {thread} s by /proc"
        );
        assert!(process >= thread, "process {process} s < thread {thread} s");
        assert!(this < 0.2, "the waiting thread used {this} s");
    }
}
