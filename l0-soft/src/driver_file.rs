//! Whether a file is a Level Zero driver library, checked without loading it: a 64-bit
//! ELF shared object of this machine's architecture whose dynamic symbol table defines
//! `zeGetDriverProcAddrTable`, the entry point every driver exports and the loader asks
//! for first. Reading the file, not `dlopen`ing it, runs none of its code.

use std::path::Path;

/// The symbol the loader looks up in every driver library.
pub const DRIVER_SYMBOL: &str = "zeGetDriverProcAddrTable";

const SHT_DYNSYM: u32 = 11;
const SYMBOL_SIZE: usize = 24;
const SECTION_HEADER_SIZE: usize = 64;

/// Why a file is not a Level Zero driver library (the text of
/// [`DriverSetupError::NotADriver`](crate::DriverSetupError::NotADriver)).
pub(crate) fn check(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    check_bytes(&bytes)
}

fn check_bytes(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    if bytes[4] != 2 || bytes[5] != 1 {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let machine = u16_at(bytes, 0x12)?;
    if let Some(expected) = host_machine() {
        if machine != expected {
            return Err(format!(
                "built for ELF machine {machine}, not this machine's {expected} ({})",
                std::env::consts::ARCH
            ));
        }
    }
    let section_offset = u64_at(bytes, 0x28)? as usize;
    let section_count = u16_at(bytes, 0x3c)? as usize;
    let section = |i: usize| -> Result<&[u8], String> {
        let start = i
            .checked_mul(SECTION_HEADER_SIZE)
            .and_then(|o| o.checked_add(section_offset))
            .ok_or("section table out of range")?;
        slice(bytes, start, SECTION_HEADER_SIZE)
    };
    for i in 0..section_count {
        let header = section(i)?;
        if u32_at(header, 4)? != SHT_DYNSYM {
            continue;
        }
        let symbols = slice(
            bytes,
            u64_at(header, 24)? as usize,
            u64_at(header, 32)? as usize,
        )?;
        let strings = section(u32_at(header, 40)? as usize)?;
        let strings = slice(
            bytes,
            u64_at(strings, 24)? as usize,
            u64_at(strings, 32)? as usize,
        )?;
        for symbol in symbols.chunks_exact(SYMBOL_SIZE) {
            let name = u32_at(symbol, 0)? as usize;
            let defined = u16_at(symbol, 6)? != 0;
            if defined && c_str_at(strings, name) == Some(DRIVER_SYMBOL.as_bytes()) {
                return Ok(());
            }
        }
        return Err(format!("it does not export {DRIVER_SYMBOL}"));
    }
    Err(format!(
        "it has no dynamic symbol table, so it exports no {DRIVER_SYMBOL}"
    ))
}

/// The ELF machine number of this process's architecture, where known.
fn host_machine() -> Option<u16> {
    match std::env::consts::ARCH {
        "x86_64" => Some(62),
        "aarch64" => Some(183),
        "riscv64" => Some(243),
        "powerpc64" => Some(21),
        _ => None,
    }
}

fn slice(bytes: &[u8], start: usize, len: usize) -> Result<&[u8], String> {
    start
        .checked_add(len)
        .and_then(|end| bytes.get(start..end))
        .ok_or_else(|| "truncated ELF file".to_string())
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, String> {
    let b = slice(bytes, at, 2)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, String> {
    let b = slice(bytes, at, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(bytes: &[u8], at: usize) -> Result<u64, String> {
    let b = slice(bytes, at, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_le_bytes(a))
}

fn c_str_at(strings: &[u8], at: usize) -> Option<&[u8]> {
    let rest = strings.get(at..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_truncated_files_are_refused() {
        assert_eq!(check_bytes(b"root:x:0:0").unwrap_err(), "not an ELF file");
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 1;
        assert!(check_bytes(&elf).unwrap_err().contains("64-bit"));
        elf[4] = 2;
        elf[5] = 1;
        elf[0x12..0x14].copy_from_slice(&host_machine().unwrap_or(0).to_le_bytes());
        // One section header, far past the end of the file.
        elf[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        elf[0x3c] = 1;
        assert_eq!(check_bytes(&elf).unwrap_err(), "truncated ELF file");
        // None: no dynamic symbol table.
        elf[0x3c] = 0;
        assert!(check_bytes(&elf)
            .unwrap_err()
            .contains("no dynamic symbol table"));
    }

    #[test]
    fn a_shell_is_no_driver() {
        let e = check(Path::new("/bin/sh")).unwrap_err();
        assert!(e.contains(DRIVER_SYMBOL), "{e}");
    }
}
