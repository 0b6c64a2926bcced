//! Streaming: the calling thread reads the input in chunks cut at line ends and hands each
//! chunk (shared, not copied) to every worker. Each worker counts every line, so it knows line
//! numbers, but fully parses only lines whose unit id hashes to it: a unit's rows stay in file
//! order on one thread, and memory is the per-unit state plus a few chunks, whatever the file
//! size. Results do not depend on the number of workers, nor does which error is reported:
//! the one a single thread would meet first.

use super::hour::HourCache;
use super::input::{Header, parse_header, parse_row, unit_field, unit_id_error};
use super::report::{HourSink, Report};
use super::unit::UnitState;
use super::{CemsError, Params};
use rustc_hash::{FxHashMap, FxHasher};
use std::collections::VecDeque;
use std::hash::Hasher;
use std::io::{ErrorKind, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

/// Bytes per chunk; also the longest line accepted.
const CHUNK: usize = 2 << 20;
/// Chunks queued per worker.
const QUEUE: usize = 4;

struct Chunk {
    buf: Vec<u8>,
    len: usize,
}

enum Msg {
    Data(Arc<Chunk>),
    /// The next line is longer than [`CHUNK`].
    Overlong,
}

/// An error and the position at which a single thread would have met it: the line being
/// read, or after the last line (then ordered by unit id) for periods left open at the end.
struct Failure {
    at: (u64, String),
    err: CemsError,
}

fn owner(unit: &[u8], n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let mut h = FxHasher::default();
    h.write(unit);
    (h.finish() % n as u64) as usize
}

struct Worker<'a> {
    me: usize,
    n: usize,
    header: &'a Header,
    params: &'a Params,
    stop: &'a AtomicU64,
    line: u64,
    index: FxHashMap<Box<[u8]>, usize>,
    units: Vec<UnitState>,
    /// The last line's unit id, whether it is ours, and its index (usize::MAX: not created).
    last_unit: Vec<u8>,
    last_ours: bool,
    last_idx: usize,
    scratch: Vec<u64>,
    hours: HourCache,
}

impl<'a> Worker<'a> {
    fn new(
        me: usize,
        n: usize,
        header: &'a Header,
        params: &'a Params,
        stop: &'a AtomicU64,
    ) -> Self {
        Self {
            me,
            n,
            header,
            params,
            stop,
            line: 1, // the header
            index: FxHashMap::default(),
            units: Vec::new(),
            last_unit: Vec::new(),
            last_ours: false,
            last_idx: usize::MAX,
            scratch: Vec::new(),
            hours: HourCache::default(),
        }
    }

    fn fail(&self, err: CemsError) -> Failure {
        self.stop.fetch_min(self.line, Ordering::Relaxed);
        Failure {
            at: (self.line, String::new()),
            err,
        }
    }

    fn chunk<S: HourSink>(&mut self, data: &[u8], sink: &mut S) -> Result<(), Failure> {
        let mut start = 0;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
            let mut line = &data[start..end];
            start = end + 1;
            self.line += 1;
            if self.line > self.stop.load(Ordering::Relaxed) {
                return Ok(()); // an earlier line already failed
            }
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if line.first().is_none_or(u8::is_ascii_whitespace) && line.trim_ascii().is_empty() {
                continue;
            }
            let unit = unit_field(line, self.header.unit_pos);
            if unit != self.last_unit.as_slice() {
                self.last_unit.clear();
                self.last_unit.extend_from_slice(unit);
                self.last_ours = owner(unit, self.n) == self.me;
                self.last_idx = self.index.get(unit).copied().unwrap_or(usize::MAX);
            }
            if !self.last_ours {
                continue;
            }
            let row = parse_row(line, self.header, self.line, &mut self.hours)
                .map_err(|e| self.fail(e))?;
            if self.last_idx == usize::MAX {
                if let Some(m) = unit_id_error(row.unit) {
                    return Err(self.fail(CemsError::at(self.line, Some("unit_id"), m)));
                }
                let plan = match &self.params.plan {
                    Some(p) => Some(*p.get_bytes(row.unit).ok_or_else(|| {
                        self.fail(CemsError::at(
                            self.line,
                            Some("unit_id"),
                            format!(
                                "unknown unit {:?}: not in the monitoring plan; expected one of the plan's {} units",
                                String::from_utf8_lossy(row.unit),
                                p.len()
                            ),
                        ))
                    })?),
                    None => None,
                };
                self.units.push(UnitState::new(
                    &row,
                    self.line,
                    plan.as_ref(),
                    self.params.equation,
                ));
                self.last_idx = self.units.len() - 1;
                self.index.insert(row.unit.into(), self.last_idx);
            }
            let u = &mut self.units[self.last_idx];
            if let Err(e) = u.push(&row, self.line, self.params, &mut self.scratch, sink) {
                return Err(self.fail(e));
            }
        }
        Ok(())
    }

    fn overlong(&mut self) -> Failure {
        self.line += 1;
        self.fail(CemsError::at(
            self.line,
            None,
            format!(
                "the line is longer than {} bytes; expected one hour of one unit per line",
                CHUNK
            ),
        ))
    }

    fn finish<S: HourSink>(
        mut self,
        sink: &mut S,
    ) -> Result<Vec<super::report::UnitReport>, Failure> {
        let mut units = std::mem::take(&mut self.units);
        units.sort_by(|a, b| a.id.cmp(&b.id));
        let mut out = Vec::with_capacity(units.len());
        for u in units {
            let id = u.id.to_string();
            match u.finish(self.params, &mut self.scratch, sink) {
                Ok(r) => out.push(r),
                Err(err) => {
                    return Err(Failure {
                        at: (u64::MAX, id),
                        err,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Reads the header line (BOM and CR stripped); returns it and the bytes read past it.
fn read_header<R: Read>(input: &mut R) -> Result<(Vec<u8>, Vec<u8>), CemsError> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    loop {
        if let Some(i) = memchr::memchr(b'\n', &buf) {
            let rest = buf[i + 1..].to_vec();
            buf.truncate(i);
            return Ok((clean_header(buf), rest));
        }
        if buf.len() > CHUNK {
            return Err(CemsError::at(
                1,
                None,
                "the header line is too long; expected the column names",
            ));
        }
        match input.read(&mut tmp) {
            Ok(0) => return Ok((clean_header(buf), Vec::new())),
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

fn clean_header(mut h: Vec<u8>) -> Vec<u8> {
    if h.ends_with(b"\r") {
        h.pop();
    }
    if h.starts_with(&[0xEF, 0xBB, 0xBF]) {
        h.drain(..3);
    }
    h
}

/// Reads `input` to the end in chunks ending at a line end, calling `send` with each (false =
/// stop) and `progress` with the bytes read so far.
fn read_chunks<R: Read>(
    input: &mut R,
    mut carry: Vec<u8>,
    progress: &dyn Fn(u64),
    stop: &AtomicU64,
    mut send: impl FnMut(Msg) -> bool,
) -> Result<(), CemsError> {
    let mut in_flight: VecDeque<Arc<Chunk>> = VecDeque::new();
    let mut total = carry.len() as u64;
    let mut eof = false;
    while !eof {
        if stop.load(Ordering::Relaxed) != u64::MAX {
            return Ok(());
        }
        // Reuse a chunk every worker has finished with, else allocate one.
        let free = in_flight.front().is_some_and(|c| Arc::strong_count(c) == 1);
        let mut chunk = match free.then(|| in_flight.pop_front()).flatten() {
            Some(c) => Arc::into_inner(c).expect("no other owner"),
            None => Chunk {
                buf: vec![0; CHUNK],
                len: 0,
            },
        };
        chunk.buf[..carry.len()].copy_from_slice(&carry);
        chunk.len = carry.len();
        carry.clear();
        while chunk.len < CHUNK {
            match input.read(&mut chunk.buf[chunk.len..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
                    chunk.len += n;
                    total += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !eof {
            match memchr::memrchr(b'\n', &chunk.buf[..chunk.len]) {
                Some(i) => {
                    carry.extend_from_slice(&chunk.buf[i + 1..chunk.len]);
                    chunk.len = i + 1;
                }
                None => {
                    send(Msg::Overlong);
                    return Ok(());
                }
            }
        }
        progress(total);
        if chunk.len > 0 {
            let chunk = Arc::new(chunk);
            if !send(Msg::Data(Arc::clone(&chunk))) {
                return Ok(());
            }
            in_flight.push_back(chunk);
        }
    }
    Ok(())
}

fn worker_count(params: &Params) -> usize {
    match params.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

fn first_failure(fails: impl IntoIterator<Item = Failure>) -> Option<CemsError> {
    fails
        .into_iter()
        .min_by(|a, b| a.at.cmp(&b.at))
        .map(|f| f.err)
}

/// Computes per-unit CO2 mass from an hourly CSV (docs/cems.md), in parallel, by
/// `params.equation`: Part 75 (default) or Part 98 Equation C-6.
/// `progress` gets the bytes read so far. On error nothing is returned but the error.
pub fn compute<R: Read>(
    mut input: R,
    params: &Params,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Report, CemsError> {
    let n = worker_count(params);
    if n <= 1 {
        return run_sequential(input, params, progress, &mut ());
    }
    let (header_line, carry) = read_header(&mut input)?;
    let header = parse_header(&header_line, params.plan.is_some())?;
    let stop = AtomicU64::new(u64::MAX);
    let (read_result, results) = std::thread::scope(|s| {
        let mut txs = Vec::with_capacity(n);
        let mut handles = Vec::with_capacity(n);
        for me in 0..n {
            let (tx, rx) = mpsc::sync_channel::<Msg>(QUEUE);
            txs.push(Some(tx));
            let (header, stop) = (&header, &stop);
            handles.push(s.spawn(move || {
                let mut w = Worker::new(me, n, header, params, stop);
                for msg in rx {
                    match msg {
                        Msg::Data(c) => w.chunk(&c.buf[..c.len], &mut ())?,
                        Msg::Overlong => return Err(w.overlong()),
                    }
                }
                w.finish(&mut ())
            }));
        }
        let read_result = read_chunks(&mut input, carry, progress, &stop, |msg| {
            let mut any = false;
            for tx in &mut txs {
                let m = match &msg {
                    Msg::Data(c) => Msg::Data(Arc::clone(c)),
                    Msg::Overlong => Msg::Overlong,
                };
                if let Some(t) = tx {
                    if t.send(m).is_ok() {
                        any = true;
                    } else {
                        *tx = None; // that worker stopped on an error
                    }
                }
            }
            any
        });
        drop(txs);
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("a CEMS worker panicked"))
            .collect();
        (read_result, results)
    });
    read_result?;
    let mut units = Vec::new();
    let mut fails = Vec::new();
    for r in results {
        match r {
            Ok(u) => units.extend(u),
            Err(f) => fails.push(f),
        }
    }
    if let Some(e) = first_failure(fails) {
        return Err(e);
    }
    Report::new(params, units).ok_or_else(overflow)
}

fn overflow() -> CemsError {
    CemsError::at(
        0,
        None,
        "the grand total exceeds what Tonne can hold exactly",
    )
}

/// Like [`compute`], on one thread, handing every resolved operating hour (value used,
/// substitution code, mass) to `sink` in hour order per unit.
pub fn compute_hourly<R: Read, S: HourSink>(
    input: R,
    params: &Params,
    sink: &mut S,
) -> Result<Report, CemsError> {
    run_sequential(input, params, &|_| {}, sink)
}

fn run_sequential<R: Read, S: HourSink>(
    mut input: R,
    params: &Params,
    progress: &dyn Fn(u64),
    sink: &mut S,
) -> Result<Report, CemsError> {
    let (header_line, carry) = read_header(&mut input)?;
    let header = parse_header(&header_line, params.plan.is_some())?;
    let stop = AtomicU64::new(u64::MAX);
    let mut w = Worker::new(0, 1, &header, params, &stop);
    let mut failure = None;
    read_chunks(&mut input, carry, progress, &stop, |msg| {
        let r = match msg {
            Msg::Data(c) => w.chunk(&c.buf[..c.len], sink),
            Msg::Overlong => Err(w.overlong()),
        };
        match r {
            Ok(()) => true,
            Err(f) => {
                failure = Some(f);
                false
            }
        }
    })?;
    if let Some(f) = failure {
        return Err(f.err);
    }
    let units = w.finish(sink).map_err(|f| f.err)?;
    Report::new(params, units).ok_or_else(overflow)
}
