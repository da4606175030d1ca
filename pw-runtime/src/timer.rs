//! The listener's timer: [`Sleep`], a future ready once its instant has
//! passed, with no particular async runtime.
//!
//! Every pending handler waits on two of them (its deadline and its next
//! lease renewal), so arming one must be cheap. One thread keeps every
//! armed instant in order and sleeps until the earliest. Arming one later
//! than that (a handler's deadline or renewal, seconds away, behind those
//! of the handlers already running) and disarming one are a lock and a map
//! operation: the thread is woken only when an instant becomes the
//! earliest, or is due. `futures-timer`, used before, woke its thread
//! twice for each timer, armed and dropped: about 5% of the PostgreSQL
//! quickstart's processor time went to that thread, and its wake-ups to
//! the workers' futex calls.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// A future that is ready once `at` has passed.
///
/// It is armed (known to the timer's thread) only while it is pending,
/// and disarmed when it is ready, reset or dropped.
#[derive(Debug)]
pub(crate) struct Sleep {
    /// `None`: later than an `Instant` can hold, so never.
    at: Option<Instant>,
    /// The key it is armed under, and the waker it is armed with.
    armed: Option<(Key, Waker)>,
}

impl Sleep {
    /// Ready once `duration` after `from` has passed (never, for a
    /// duration past what an `Instant` can hold).
    pub(crate) fn new(from: Instant, duration: Duration) -> Sleep {
        Sleep {
            at: from.checked_add(duration),
            armed: None,
        }
    }

    /// Ready once `duration` from now has passed.
    pub(crate) fn after(duration: Duration) -> Sleep {
        Sleep::new(Instant::now(), duration)
    }

    /// Ready once `duration` after `from` has passed, instead of when it
    /// was to be.
    pub(crate) fn reset(&mut self, from: Instant, duration: Duration) {
        self.disarm();
        self.at = from.checked_add(duration);
    }

    fn disarm(&mut self) {
        if let Some((key, _)) = self.armed.take() {
            timers().lock().due.remove(&key);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let Some(at) = this.at else {
            return Poll::Pending;
        };
        if Instant::now() >= at {
            this.disarm();
            return Poll::Ready(());
        }
        match &mut this.armed {
            // Polled again by the same task: armed already.
            Some((_, waker)) if waker.will_wake(cx.waker()) => {}
            // Polled by another task: the timer wakes that one.
            Some((key, waker)) => {
                *waker = cx.waker().clone();
                if let Some(armed) = timers().lock().due.get_mut(key) {
                    armed.clone_from(waker);
                }
            }
            None => {
                let key = timers().arm(at, cx.waker().clone());
                this.armed = Some((key, cx.waker().clone()));
            }
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.disarm();
    }
}

/// Where an armed [`Sleep`] is in the timer's order: its instant, then the
/// order of arming (two may share an instant).
type Key = (Instant, u64);

/// The armed instants and the thread that wakes their tasks.
struct Timers {
    state: Mutex<State>,
    thread: Thread,
}

struct State {
    due: BTreeMap<Key, Waker>,
    armed: u64,
    /// When the thread wakes by itself: the earliest instant it saw when it
    /// last looked (`None`: it sleeps until woken).
    wakes_at: Option<Instant>,
}

/// The one set of timers, its thread started on first use.
fn timers() -> &'static Timers {
    static TIMERS: OnceLock<Timers> = OnceLock::new();
    TIMERS.get_or_init(|| {
        let thread = thread::Builder::new()
            .name("pw-timer".into())
            .spawn(run)
            .expect("the timer's thread could not be started");
        Timers {
            state: Mutex::new(State {
                due: BTreeMap::new(),
                armed: 0,
                wakes_at: None,
            }),
            thread: thread.thread().clone(),
        }
    })
}

impl Timers {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is consistent after any panic (a map and counters, no
        // invariant across them), so a poisoned lock is used as it is.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn arm(&self, at: Instant, waker: Waker) -> Key {
        let mut state = self.lock();
        state.armed += 1;
        let key = (at, state.armed);
        state.due.insert(key, waker);
        // Wake the thread only when it would sleep past this instant.
        if state.wakes_at.is_none_or(|wakes| at < wakes) {
            state.wakes_at = Some(at);
            self.thread.unpark();
        }
        key
    }
}

/// The timer's thread: wakes the tasks whose instant has passed, then
/// sleeps until the earliest of the others, or until woken.
fn run() {
    let timers = timers();
    let mut ready = Vec::new();
    loop {
        let next = {
            let mut state = timers.lock();
            let now = Instant::now();
            while let Some(entry) = state.due.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                ready.push(entry.remove());
            }
            let next = state.due.first_key_value().map(|(key, _)| key.0);
            state.wakes_at = next;
            next
        };
        for waker in ready.drain(..) {
            waker.wake();
        }
        // A wake-up that came after the state was read is not lost: an
        // unpark before the park makes the park return at once.
        match next {
            Some(at) => thread::park_timeout(at.saturating_duration_since(Instant::now())),
            None => thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls `sleep` once, from the task that runs the test.
    async fn poll_once(sleep: &mut Pin<Box<Sleep>>) -> Poll<()> {
        std::future::poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await
    }

    #[tokio::test]
    async fn a_sleep_ends_once_its_time_has_passed() {
        let started = Instant::now();
        Sleep::after(Duration::from_millis(80)).await;
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(80), "ended after {took:?}");
        assert!(took < Duration::from_secs(2), "ended after {took:?}");
    }

    #[tokio::test]
    async fn an_earlier_sleep_armed_after_a_later_one_is_not_held_up() {
        let mut late = Box::pin(Sleep::after(Duration::from_secs(30)));
        // Armed first; once the thread has looked, it sleeps until it.
        assert!(poll_once(&mut late).await.is_pending());
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        let early = tokio::time::timeout(
            Duration::from_secs(5),
            Sleep::after(Duration::from_millis(50)),
        );
        assert!(early.await.is_ok(), "held up behind the later sleep");
        let took = started.elapsed();
        assert!(took < Duration::from_secs(2), "ended after {took:?}");
        assert!(poll_once(&mut late).await.is_pending());
    }

    #[tokio::test]
    async fn sleeps_end_in_the_order_of_their_instants() {
        let started = Instant::now();
        let order = std::sync::Mutex::new(Vec::new());
        let sleeps = [150u64, 30, 90].map(|ms| {
            let order = &order;
            async move {
                Sleep::new(started, Duration::from_millis(ms)).await;
                order.lock().unwrap().push(ms);
            }
        });
        let [a, b, c] = sleeps;
        tokio::join!(a, b, c);
        assert_eq!(*order.lock().unwrap(), [30, 90, 150]);
    }

    #[tokio::test]
    async fn a_sleep_dropped_or_done_is_disarmed() {
        let mut sleep = Box::pin(Sleep::after(Duration::from_secs(60)));
        assert!(poll_once(&mut sleep).await.is_pending());
        let key = sleep.armed.as_ref().map(|(key, _)| *key).expect("armed");
        assert!(timers().lock().due.contains_key(&key));
        drop(sleep);
        assert!(!timers().lock().due.contains_key(&key));

        let mut sleep = Box::pin(Sleep::after(Duration::from_millis(20)));
        assert!(poll_once(&mut sleep).await.is_pending());
        let key = sleep.armed.as_ref().map(|(key, _)| *key).expect("armed");
        sleep.as_mut().await;
        assert!(sleep.armed.is_none());
        assert!(!timers().lock().due.contains_key(&key));
    }

    #[tokio::test]
    async fn a_reset_sleep_waits_for_its_new_instant() {
        let mut sleep = Box::pin(Sleep::after(Duration::from_secs(60)));
        assert!(poll_once(&mut sleep).await.is_pending());
        let started = Instant::now();
        sleep.as_mut().reset(started, Duration::from_millis(40));
        sleep.as_mut().await;
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(40) && took < Duration::from_secs(2),
            "ended after {took:?}"
        );
    }

    #[tokio::test]
    async fn a_sleep_past_what_an_instant_holds_never_ends() {
        let mut sleep = Box::pin(Sleep::after(Duration::MAX));
        assert!(poll_once(&mut sleep).await.is_pending());
        assert!(sleep.armed.is_none(), "armed for an instant it cannot hold");
    }

    #[test]
    fn the_task_that_polled_last_is_the_one_woken() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        use std::task::Wake;

        struct Count(AtomicUsize, Thread);
        impl Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
                self.1.unpark();
            }
        }
        let first = Arc::new(Count(AtomicUsize::new(0), thread::current()));
        let second = Arc::new(Count(AtomicUsize::new(0), thread::current()));
        let mut sleep = Box::pin(Sleep::after(Duration::from_millis(30)));
        let (w1, w2) = (Waker::from(first.clone()), Waker::from(second.clone()));
        assert!(sleep
            .as_mut()
            .poll(&mut Context::from_waker(&w1))
            .is_pending());
        assert!(sleep
            .as_mut()
            .poll(&mut Context::from_waker(&w2))
            .is_pending());
        let deadline = Instant::now() + Duration::from_secs(5);
        while second.0.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            thread::park_timeout(Duration::from_millis(10));
        }
        assert_eq!(
            second.0.load(Ordering::SeqCst),
            1,
            "the second waker was not woken"
        );
        assert_eq!(
            first.0.load(Ordering::SeqCst),
            0,
            "the first waker was woken"
        );
        assert!(sleep
            .as_mut()
            .poll(&mut Context::from_waker(&w2))
            .is_ready());
    }
}
