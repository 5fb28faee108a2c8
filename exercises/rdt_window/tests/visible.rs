//! Your window, event by event; then the whole program against a receiver that loses a
//! fifth of what it gets and of what it sends.

use std::net::UdpSocket;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rdt_window::{Action, GoBackN};
use testkit::{Running, noise};

const SENDER: &str = env!("CARGO_BIN_EXE_rdt_window");

/// What an answer does: the packets sent, in order, and the timer's actions. (Whether
/// the timer's action comes before or after the sends does not matter.)
fn effect(actions: &[Action]) -> (Vec<u32>, Vec<&'static str>) {
    let mut sends = Vec::new();
    let mut timer = Vec::new();
    for action in actions {
        match action {
            Action::Send(n) => sends.push(*n),
            Action::StartTimer => timer.push("start"),
            Action::StopTimer => timer.push("stop"),
        }
    }
    (sends, timer)
}

fn sends(packets: &[u32], timer: &[&'static str]) -> (Vec<u32>, Vec<&'static str>) {
    (packets.to_vec(), timer.to_vec())
}

#[test]
fn a_fresh_window_sends_up_to_its_size() {
    let mut w = GoBackN::new(10, 3);
    assert!(w.can_send());
    assert_eq!(
        effect(&w.send_new()),
        sends(&[0], &["start"]),
        "the first packet starts the timer"
    );
    assert_eq!(effect(&w.send_new()), sends(&[1], &[]));
    assert_eq!(effect(&w.send_new()), sends(&[2], &[]));
    assert!(!w.can_send(), "three in flight fill a window of three");
    assert_eq!(w.send_new(), [], "no room: nothing to send");
    assert_eq!((w.base(), w.next()), (0, 3));

    let mut short = GoBackN::new(2, 8);
    short.send_new();
    short.send_new();
    assert!(!short.can_send(), "a file of two packets has no third");
    assert!(
        !GoBackN::new(0, 4).can_send(),
        "an empty file has nothing to send"
    );
}

#[test]
fn an_ack_slides_the_window_and_restarts_the_timer() {
    let mut w = GoBackN::new(10, 4);
    for _ in 0..4 {
        w.send_new();
    }
    // ACK 2: packets 0 and 1 arrived. Two more may go, and the timer starts over for
    // packet 2, now the oldest in flight.
    assert_eq!(effect(&w.on_ack(2)), sends(&[], &["start"]));
    assert_eq!((w.base(), w.next()), (2, 4));
    assert!(w.can_send());
    assert_eq!(effect(&w.send_new()), sends(&[4], &[]));
    // Everything in flight acknowledged: the timer stops.
    assert_eq!(effect(&w.on_ack(5)), sends(&[], &["stop"]));
    assert_eq!((w.base(), w.next()), (5, 5));
    // The window was empty: the next packet starts the timer again.
    assert_eq!(effect(&w.send_new()), sends(&[5], &["start"]));
}

#[test]
fn a_timeout_sends_everything_in_flight_again() {
    let mut w = GoBackN::new(10, 4);
    for _ in 0..4 {
        w.send_new();
    }
    w.on_ack(1);
    assert_eq!(
        effect(&w.on_timeout()),
        sends(&[1, 2, 3], &["start"]),
        "go back to the oldest packet not acknowledged"
    );
    assert_eq!((w.base(), w.next()), (1, 4), "a timeout moves nothing");
    w.on_ack(4);
    assert_eq!(w.on_timeout(), [], "nothing in flight, nothing to resend");
}

#[test]
fn old_duplicate_and_impossible_acks_change_nothing() {
    let mut w = GoBackN::new(10, 4);
    for _ in 0..3 {
        w.send_new();
    }
    w.on_ack(2);
    assert_eq!(w.on_ack(2), [], "a duplicate ACK");
    assert_eq!(w.on_ack(1), [], "an old ACK");
    assert_eq!(w.on_ack(0), [], "ACK 0: nothing received yet");
    assert_eq!(w.on_ack(4), [], "an ACK for a packet never sent");
    assert_eq!(w.on_ack(u32::MAX), []);
    assert_eq!((w.base(), w.next()), (2, 3));
    assert!(!w.is_done());
    assert_eq!(effect(&w.on_ack(3)), sends(&[], &["stop"]));
}

/// A tiny xorshift for the tests' dice.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn the_whole_file_goes_through_a_lossy_channel() {
    // Your window against a Go-Back-N receiver, through a channel that loses a
    // quarter of the packets and of the ACKs, time counted in steps.
    let total = 60;
    let mut w = GoBackN::new(total, 5);
    let mut dice = Dice(2024);
    let mut timer: Option<u64> = None;
    let mut expected = 0; // the receiver's next packet
    let mut delivered = Vec::new();
    for step in 0..100_000u64 {
        if w.is_done() {
            break;
        }
        let mut actions = Vec::new();
        for _ in 0..10 {
            if !w.can_send() {
                break;
            }
            actions.extend(w.send_new());
        }
        if timer.is_some_and(|at| at <= step) {
            timer = None;
            actions.extend(w.on_timeout());
        }
        let mut acks = Vec::new();
        for action in actions {
            match action {
                Action::Send(n) if dice.below(4) > 0 => {
                    if n == expected {
                        delivered.push(n);
                        expected += 1;
                    }
                    if dice.below(4) > 0 {
                        acks.push(expected);
                    }
                }
                Action::Send(_) => {}
                Action::StartTimer => timer = Some(step + 20),
                Action::StopTimer => timer = None,
            }
        }
        for ack in acks {
            for action in w.on_ack(ack) {
                match action {
                    Action::StartTimer => timer = Some(step + 20),
                    Action::StopTimer => timer = None,
                    Action::Send(n) => panic!("on_ack asked to send {n}"),
                }
            }
        }
    }
    assert!(
        w.is_done(),
        "not done after 100,000 steps: base {}",
        w.base()
    );
    assert_eq!(delivered, (0..total).collect::<Vec<_>>());
}

/// CRC-32, bit by bit (the test's own).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A reply of the receiver: kind 2 (ACK) or 4 (FINACK), Go-Back-N, `seq`.
fn reply(kind: u8, seq: u32) -> Vec<u8> {
    let mut out = vec![kind, 2, 0, 8];
    out.extend(seq.to_be_bytes());
    out.extend([0; 6]);
    let crc = crc32(&out);
    out[10..14].copy_from_slice(&crc.to_be_bytes());
    out
}

/// A Go-Back-N receiver on a port of its own: it takes packets in order only, answers
/// each with the cumulative ACK, loses `loss` percent of the packets it gets and of the
/// replies it sends, and answers the FIN. It returns the file once the sender has been
/// quiet for half a second after the FIN.
fn lossy_receiver(loss: u64, seed: u64) -> (u16, JoinHandle<Vec<u8>>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let mut dice = Dice(seed | 1);
        let mut file = Vec::new();
        let mut expected = 0u32;
        let mut finished: Option<Instant> = None;
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut buf = [0u8; 2048];
        while Instant::now() < deadline {
            if finished.is_some_and(|at| at.elapsed() > Duration::from_millis(500)) {
                break;
            }
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                continue;
            };
            let packet = &buf[..n];
            if n < 14 || dice.below(100) < loss {
                continue;
            }
            let mut zeroed = packet.to_vec();
            zeroed[10..14].fill(0);
            let len = u16::from_be_bytes([packet[8], packet[9]]) as usize;
            if crc32(&zeroed) != u32::from_be_bytes(packet[10..14].try_into().unwrap())
                || len != n - 14
                || packet[1] != 2
            {
                continue;
            }
            let seq = u32::from_be_bytes(packet[4..8].try_into().unwrap());
            let answer = match packet[0] {
                1 => {
                    if seq == expected {
                        file.extend_from_slice(&packet[14..]);
                        expected += 1;
                    }
                    reply(2, expected)
                }
                3 if seq == expected => {
                    finished = Some(Instant::now());
                    reply(4, seq)
                }
                _ => continue,
            };
            if dice.below(100) >= loss {
                let _ = socket.send_to(&answer, from);
            }
        }
        file
    });
    (port, handle)
}

#[test]
fn the_program_sends_a_file_through_a_receiver_that_loses_a_fifth() {
    let (port, receiver) = lossy_receiver(20, 7);
    let file = std::env::temp_dir().join(format!("rdt_window-{}.bin", std::process::id()));
    let data = noise(200 * 1024 + 17, 5);
    std::fs::write(&file, &data).unwrap();
    let port = port.to_string();
    let mut sender = Running::start(
        SENDER,
        &[
            file.to_str().unwrap(),
            "--port",
            &port,
            "--window",
            "8",
            "--timeout",
            "10",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while sender.is_running() {
        assert!(
            Instant::now() < deadline,
            "the sender did not finish in 60 s"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let status = sender.wait_for_exit();
    assert!(status.success(), "{}", sender.stderr_so_far());
    let got = receiver.join().unwrap();
    assert!(
        got == data,
        "the receiver got {} bytes, not the {} sent (or not the same ones)",
        got.len(),
        data.len()
    );
    let _ = std::fs::remove_file(&file);
}
