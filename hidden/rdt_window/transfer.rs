//! Hidden: the student's program sends a file of random size, with a random window, to a
//! Go-Back-N receiver in this test that loses packets and ACKs, sends some ACKs twice and
//! some old ones again, and throws garbage at the sender. The file must arrive byte for
//! byte, and the sender must exit 0. The receiver, and so the verdict, is the test's.

use std::net::UdpSocket;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use testkit::{Running, noise};

const SENDER: &str = env!("CARGO_BIN_EXE_rdt_window");

/// xorshift64, the test's dice.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

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

fn reply(kind: u8, window: u16, seq: u32) -> Vec<u8> {
    let mut out = vec![kind, 2];
    out.extend(window.to_be_bytes());
    out.extend(seq.to_be_bytes());
    out.extend([0; 6]);
    let crc = crc32(&out);
    out[10..14].copy_from_slice(&crc.to_be_bytes());
    out
}

/// What the receiver saw, besides the file.
#[derive(Debug, Default)]
struct Seen {
    data_packets: u64,
    fins: u64,
}

fn rude_receiver(loss: u64, seed: u64) -> (u16, JoinHandle<(Vec<u8>, Seen)>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let mut dice = Dice(seed | 1);
        let mut file = Vec::new();
        let mut seen = Seen::default();
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
            if n < 14 || dice.below(100) < loss {
                continue;
            }
            let packet = &buf[..n];
            let mut zeroed = packet.to_vec();
            zeroed[10..14].fill(0);
            let len = u16::from_be_bytes([packet[8], packet[9]]) as usize;
            if crc32(&zeroed) != u32::from_be_bytes(packet[10..14].try_into().unwrap())
                || len != n - 14
                || packet[1] != 2
            {
                continue;
            }
            let window = u16::from_be_bytes([packet[2], packet[3]]);
            let seq = u32::from_be_bytes(packet[4..8].try_into().unwrap());
            let mut answers = Vec::new();
            match packet[0] {
                1 => {
                    seen.data_packets += 1;
                    if seq == expected {
                        file.extend_from_slice(&packet[14..]);
                        expected += 1;
                    }
                    answers.push(reply(2, window, expected));
                    match dice.below(10) {
                        0 => answers.push(reply(2, window, expected)), // twice
                        1 => answers.push(reply(2, window, expected.saturating_sub(3))), // old
                        2 => {
                            // Garbage: a damaged ACK far ahead, and noise.
                            let mut bad = reply(2, window, expected + 5);
                            bad[5] ^= 0x10;
                            answers.push(bad);
                            answers.push(noise(9, seed ^ u64::from(seq)));
                        }
                        _ => {}
                    }
                }
                3 if seq == expected => {
                    seen.fins += 1;
                    finished = Some(Instant::now());
                    answers.push(reply(4, window, seq));
                }
                _ => continue,
            }
            for answer in answers {
                if dice.below(100) >= loss {
                    let _ = socket.send_to(&answer, from);
                }
            }
        }
        (file, seen)
    });
    (port, handle)
}

#[test]
fn a_random_file_arrives_whole_through_loss_duplicates_and_garbage() {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64 ^ d.as_secs())
        .unwrap_or(42);
    let mut dice = Dice(seed | 1);
    let size = 50 * 1024 + dice.below(250 * 1024) as usize;
    let window = 1 + dice.below(16);
    let loss = 10 + dice.below(16);
    let data = noise(size, seed);
    let file = std::env::temp_dir().join(format!("rdt_window-hidden-{}.bin", std::process::id()));
    std::fs::write(&file, &data).unwrap();
    let (port, receiver) = rude_receiver(loss, seed);
    let what = format!("{size} bytes, window {window}, {loss}% loss each way (seed {seed})");
    let port = port.to_string();
    let window = window.to_string();
    let mut sender = Running::start(
        SENDER,
        &[
            file.to_str().unwrap(),
            "--port",
            &port,
            "--window",
            &window,
            "--timeout",
            "10",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while sender.is_running() {
        assert!(
            Instant::now() < deadline,
            "{what}: the sender did not finish in 60 s"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let status = sender.wait_for_exit();
    assert!(
        status.success(),
        "{what}: the sender failed: {}",
        sender.stderr_so_far()
    );
    let (got, seen) = receiver.join().unwrap();
    assert!(seen.fins > 0, "{what}: no FIN after the data");
    assert!(
        got == data,
        "{what}: the receiver got {} bytes, not the {} sent (or not the same ones)",
        got.len(),
        data.len()
    );
    let packets = size.div_ceil(1024) as u64;
    // Go-Back-N at this loss sends more than the file, but not without bound.
    assert!(
        seen.data_packets >= packets && seen.data_packets < packets * 40,
        "{what}: {} data packets arrived for {packets} in the file",
        seen.data_packets
    );
    let _ = std::fs::remove_file(&file);
}
