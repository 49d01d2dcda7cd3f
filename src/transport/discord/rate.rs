//! The per-user rate limit: at most N questions a minute from one user, and one polite notice
//! when the limit is hit — not one per message, which would let a flood double itself.
//!
//! A sliding window of the last N admitted questions per user. Time is passed in, so the tests
//! step through it without sleeping. Users whose window has emptied are forgotten once the map
//! grows, so memory stays bounded by the users active in the last minute.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Past this many tracked users, idle ones are dropped on the next question.
const PRUNE_AT: usize = 4096;

/// What to do with a user's question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Answer,
    /// Over the limit for the first time in this window: say so, once.
    Notice,
    /// Over the limit and already told.
    Silent,
}

/// Per-user sliding windows.
pub struct UserRate {
    per_minute: usize,
    users: Mutex<HashMap<u64, Window>>,
}

#[derive(Default)]
struct Window {
    admitted: VecDeque<Instant>,
    noticed: bool,
}

impl UserRate {
    pub fn new(per_minute: u32) -> UserRate {
        UserRate {
            per_minute: per_minute.max(1) as usize,
            users: Mutex::new(HashMap::new()),
        }
    }

    /// Admits (or not) a question from `user` at `now`.
    pub fn admit(&self, user: u64, now: Instant) -> Admission {
        let mut users = self
            .users
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if users.len() >= PRUNE_AT {
            users.retain(|_, w| w.expire(now));
        }
        let window = users.entry(user).or_default();
        window.expire(now);
        if window.admitted.len() < self.per_minute {
            window.admitted.push_back(now);
            window.noticed = false;
            Admission::Answer
        } else if window.noticed {
            Admission::Silent
        } else {
            window.noticed = true;
            Admission::Notice
        }
    }
}

impl Window {
    /// Drops questions older than the window; true while any remain.
    fn expire(&mut self, now: Instant) -> bool {
        while self
            .admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.admitted.pop_front();
        }
        !self.admitted.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_noticed_once_then_silent_until_the_window_moves() {
        let rate = UserRate::new(2);
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(rate.admit(1, at(0)), Admission::Answer);
        assert_eq!(rate.admit(1, at(10)), Admission::Answer);
        assert_eq!(rate.admit(1, at(20)), Admission::Notice);
        assert_eq!(rate.admit(1, at(30)), Admission::Silent);
        assert_eq!(rate.admit(2, at(30)), Admission::Answer, "users are apart");
        assert_eq!(rate.admit(1, at(60)), Admission::Answer, "the first left");
        assert_eq!(rate.admit(1, at(61)), Admission::Notice, "noticed anew");
    }

    #[test]
    fn idle_users_are_forgotten_when_the_map_grows() {
        let rate = UserRate::new(1);
        let t0 = Instant::now();
        for user in 0..PRUNE_AT as u64 {
            rate.admit(user, t0);
        }
        rate.admit(u64::MAX, t0 + WINDOW);
        assert_eq!(rate.users.lock().unwrap().len(), 1);
    }
}
