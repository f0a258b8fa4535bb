//! A blob writer moved to a thread of its own while a large body streams in: the request's
//! thread hands it each chunk through a bounded queue and goes on hashing (MD5, checksums)
//! while this thread encrypts and writes, so the two cores share the work of one PUT.
//!
//! Only `write_chunk` runs on the writer's thread. The writer is created on the request's
//! thread before (it captures the request's group commit there) and handed back to it for
//! `commit`, which must run inside the request's durability scope. Dropping the [`Offload`]
//! before [`Offload::finish`] (an error, a client gone mid-body) tells the thread to stop and
//! drop the writer, which discards the uncommitted blob.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use bytes::Bytes;
use gureum_store::{BlobWriter, StoreError};

/// The most body bytes queued for the writer at once (one more chunk may sit past it).
pub const MAX_QUEUED: usize = 4 * 1024 * 1024;

/// What the writer's thread answers: the writer, to commit, or why writing failed.
type Outcome = Result<Box<dyn BlobWriter>, StoreError>;

struct State {
    queue: VecDeque<Bytes>,
    queued: usize,
    /// No more chunks will come: write what is queued, then answer.
    finished: bool,
    /// The request gave up: drop the writer without writing the rest.
    aborted: bool,
    /// Set by the writer's thread when it stops.
    outcome: Option<Outcome>,
    /// The request's task, waiting for room in the queue or for the outcome.
    waiting: Option<Waker>,
}

struct Shared {
    state: Mutex<State>,
    /// Signals the writer's thread: a chunk, the end, or an abort.
    work: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The request's side of a writer moved to its own thread.
pub struct Offload {
    shared: Arc<Shared>,
    done: bool,
}

impl Offload {
    /// Moves `writer` to a new thread that writes what [`Offload::write`] queues.
    pub fn start(writer: Box<dyn BlobWriter>) -> Result<Offload, StoreError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                queued: 0,
                finished: false,
                aborted: false,
                outcome: None,
                waiting: None,
            }),
            work: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("gureum-s3-writer".into())
            .spawn(move || run(theirs, writer))
            .map_err(StoreError::from)?;
        Ok(Offload {
            shared,
            done: false,
        })
    }

    /// Queues `chunk` for the writer, waiting while the queue is full; fails with the writer's
    /// error if it already failed.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        let mut chunk = Some(chunk);
        poll_fn(|cx| {
            let mut state = self.shared.lock();
            if let Some(Err(_)) = &state.outcome {
                let Some(Err(e)) = state.outcome.take() else {
                    unreachable!()
                };
                self.done = true;
                return Poll::Ready(Err(e));
            }
            if state.queued >= MAX_QUEUED {
                state.waiting = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let chunk = chunk.take().expect("a chunk to queue");
            state.queued += chunk.len();
            state.queue.push_back(chunk);
            drop(state);
            self.shared.work.notify_one();
            Poll::Ready(Ok(()))
        })
        .await
    }

    /// Waits for every queued chunk to be written and answers the writer, to commit.
    pub async fn finish(mut self) -> Outcome {
        if self.done {
            return Err(StoreError::Engine("the blob writer already failed".into()));
        }
        self.shared.lock().finished = true;
        self.shared.work.notify_one();
        let outcome = poll_fn(|cx| {
            let mut state = self.shared.lock();
            match state.outcome.take() {
                Some(outcome) => Poll::Ready(outcome),
                None => {
                    state.waiting = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await;
        self.done = true;
        outcome
    }
}

impl Drop for Offload {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.shared.lock();
        state.aborted = true;
        state.queue.clear();
        state.queued = 0;
        // A writer already handed back but never taken is dropped here: its blob is discarded.
        let outcome = state.outcome.take();
        drop(state);
        self.shared.work.notify_one();
        drop(outcome);
    }
}

/// Answers the outcome to the request (and wakes it) even if writing panics.
struct Answer {
    shared: Arc<Shared>,
    outcome: Option<Outcome>,
}

impl Drop for Answer {
    fn drop(&mut self) {
        let outcome = self
            .outcome
            .take()
            .unwrap_or_else(|| Err(StoreError::Engine("the blob writer's thread failed".into())));
        let mut state = self.shared.lock();
        if state.aborted {
            // Nobody will take it: the writer (and its uncommitted blob) goes now, off the lock.
            drop(state);
            drop(outcome);
            return;
        }
        state.outcome = Some(outcome);
        let waker = state.waiting.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

fn run(shared: Arc<Shared>, mut writer: Box<dyn BlobWriter>) {
    let mut answer = Answer {
        shared: Arc::clone(&shared),
        outcome: None,
    };
    loop {
        let mut state = shared.lock();
        let chunk = loop {
            if state.aborted {
                return;
            }
            if let Some(chunk) = state.queue.pop_front() {
                break chunk;
            }
            if state.finished {
                drop(state);
                answer.outcome = Some(Ok(writer));
                return;
            }
            state = shared.work.wait(state).unwrap_or_else(|e| e.into_inner());
        };
        // Room freed: wake the request if it waits for some. (A waker left here while it waits
        // for the outcome is woken early; it polls again and waits again.)
        let had_room = state.queued < MAX_QUEUED;
        state.queued -= chunk.len();
        let waker = if had_room { None } else { state.waiting.take() };
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        if let Err(e) = writer.write_chunk(&chunk) {
            answer.outcome = Some(Err(e));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Wake};

    /// Records what it was given; fails on the chunk `!bad`.
    struct Recorder {
        got: Arc<Mutex<Vec<u8>>>,
        dropped: Arc<AtomicBool>,
    }

    impl BlobWriter for Recorder {
        fn write_chunk(&mut self, chunk: &[u8]) -> gureum_store::Result<()> {
            if chunk == b"!bad" {
                return Err(StoreError::Engine("refused".into()));
            }
            self.got.lock().unwrap().extend_from_slice(chunk);
            Ok(())
        }
        fn written(&self) -> u64 {
            self.got.lock().unwrap().len() as u64
        }
        fn commit(self: Box<Self>) -> gureum_store::Result<u64> {
            Ok(self.written())
        }
    }

    impl Drop for Recorder {
        fn drop(&mut self) {
            self.dropped.store(true, Ordering::SeqCst);
        }
    }

    struct Thread(std::thread::Thread);
    impl Wake for Thread {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    /// Polls `f` to completion on this thread.
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let waker = Waker::from(Arc::new(Thread(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::park();
        }
    }

    fn recorder() -> (Box<dyn BlobWriter>, Arc<Mutex<Vec<u8>>>, Arc<AtomicBool>) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let dropped = Arc::new(AtomicBool::new(false));
        let w = Recorder {
            got: Arc::clone(&got),
            dropped: Arc::clone(&dropped),
        };
        (Box::new(w), got, dropped)
    }

    fn wait_for(flag: &AtomicBool) {
        for _ in 0..1000 {
            if flag.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        panic!("the writer was never dropped");
    }

    #[test]
    fn writes_everything_in_order_with_bounded_queue() {
        let (w, got, _) = recorder();
        let mut want = Vec::new();
        let writer = block_on(async {
            let mut off = Offload::start(w).unwrap();
            for i in 0..200u32 {
                let chunk: Vec<u8> = (0..100_000u32).map(|j| (i + j) as u8 % 200).collect();
                want.extend_from_slice(&chunk);
                off.write(Bytes::from(chunk)).await.unwrap();
                assert!(off.shared.lock().queued <= MAX_QUEUED + 100_000);
            }
            off.finish().await.unwrap()
        });
        assert_eq!(writer.commit().unwrap(), want.len() as u64);
        assert!(*got.lock().unwrap() == want);
    }

    #[test]
    fn a_write_error_reaches_the_request() {
        let (w, _, dropped) = recorder();
        let err = block_on(async {
            let mut off = Offload::start(w).unwrap();
            off.write(Bytes::from_static(b"fine")).await.unwrap();
            off.write(Bytes::from_static(b"!bad")).await.unwrap();
            loop {
                // Later writes or the finish answer the error.
                if let Err(e) = off.write(Bytes::from_static(b"more")).await {
                    break e;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        assert!(err.to_string().contains("refused"), "{err}");
        wait_for(&dropped);
    }

    #[test]
    fn dropping_mid_body_drops_the_writer() {
        let (w, _, dropped) = recorder();
        block_on(async {
            let mut off = Offload::start(w).unwrap();
            off.write(Bytes::from_static(b"part")).await.unwrap();
            drop(off);
        });
        wait_for(&dropped);
    }
}
