//! The packet layer through the library's public functions: our CRC-32 agrees with
//! zlib's (Python's `zlib.crc32`, a peer nobody here wrote), it catches the damage
//! `--corrupt` does, and the Internet checksum would not have caught all of it.

use rdt::packet::{self, Bad, Kind, MSS, Packet, crc32, internet_checksum};
use rdt::{Protocol, channel::XorShift};
use testkit::{noise, require_tool, run};

#[test]
fn our_crc32_is_the_one_zlib_computes() {
    let python = require_tool("python3");
    let inputs: Vec<Vec<u8>> = (0..20u64)
        .map(|i| noise((i as usize * 97) % 1100, i + 1))
        .collect();
    let hex: Vec<String> = inputs
        .iter()
        .map(|b| b.iter().map(|x| format!("{x:02x}")).collect())
        .collect();
    let out = run(
        python.to_str().unwrap(),
        &[
            "-c",
            "import sys, zlib\nfor h in sys.stdin.read().split(','): print(zlib.crc32(bytes.fromhex(h)))",
        ],
        hex.join(",").as_bytes(),
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let theirs: Vec<u32> = out.stdout.lines().map(|l| l.parse().unwrap()).collect();
    let ours: Vec<u32> = inputs.iter().map(|b| crc32(b)).collect();
    assert_eq!(ours, theirs);
}

fn full_packet() -> Vec<u8> {
    let data = noise(MSS, 77);
    packet::encode(&Packet {
        kind: Kind::Data,
        protocol: Protocol::Sr,
        window: 16,
        seq: 123_456,
        data: &data,
    })
}

#[test]
fn every_flip_of_one_to_three_bits_in_a_full_packet_is_caught() {
    let bytes = full_packet();
    assert!(packet::decode(&bytes).is_ok());
    let bits = bytes.len() * 8;
    // Every single bit ...
    for bit in 0..bits {
        let mut damaged = bytes.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        assert!(
            matches!(packet::decode(&damaged), Err(Bad::Checksum { .. })),
            "bit {bit}"
        );
    }
    // ... and 200,000 random pairs and triples.
    let mut dice = XorShift::new(5);
    for _ in 0..200_000 {
        let mut damaged = bytes.clone();
        let mut flipped: Vec<usize> = Vec::new();
        let count = 2 + dice.below(2) as usize;
        while flipped.len() < count {
            let bit = dice.below(bits as u64) as usize;
            if !flipped.contains(&bit) {
                flipped.push(bit);
                damaged[bit / 8] ^= 1 << (bit % 8);
            }
        }
        assert!(packet::decode(&damaged).is_err(), "bits {flipped:?}");
    }
}

#[test]
fn the_internet_checksum_misses_two_flips_that_cancel_and_crc32_does_not() {
    let bytes = full_packet();
    // Find a bit that is 0 and a bit that is 1 at the same place in two 16-bit
    // words: flipping both adds 2^k to one word and takes it from the other.
    let word = |i: usize| u16::from_be_bytes([bytes[2 * i], bytes[2 * i + 1]]);
    let (mut a, mut b, mut k) = (0, 0, 0);
    'search: for i in 20..bytes.len() / 2 {
        for j in i + 1..bytes.len() / 2 {
            for bit in 0..16 {
                if word(i) >> bit & 1 == 0 && word(j) >> bit & 1 == 1 {
                    (a, b, k) = (i, j, bit);
                    break 'search;
                }
            }
        }
    }
    let mut damaged = bytes.clone();
    for (i, value) in [(a, word(a) ^ (1 << k)), (b, word(b) ^ (1 << k))] {
        damaged[2 * i..2 * i + 2].copy_from_slice(&value.to_be_bytes());
    }
    assert_ne!(damaged, bytes);
    assert_eq!(internet_checksum(&damaged), internet_checksum(&bytes));
    assert!(matches!(
        packet::decode(&damaged),
        Err(Bad::Checksum { .. })
    ));
}
