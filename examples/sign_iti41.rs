//! Signs an MTOM ITI-41 body in place as a DUI would for the DMP: the XAdES (IHE DSG detached) signature of
//! the submission set, then the VIHF (`dui_conform::xmldsig::iti41`). Used by tools/gen_dmp_fixtures.py.
//!
//! `cargo run --example sign_iti41 -- KEY.pem CERT.pem CONTENT_TYPE SIGNING_TIME FILE`

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key, cert, ct, time, file] = args.as_slice() else {
        eprintln!("usage: sign_iti41 KEY.pem CERT.pem CONTENT_TYPE SIGNING_TIME FILE");
        return ExitCode::from(2);
    };
    let run = || -> Result<(), Box<dyn std::error::Error>> {
        let key = dui_conform::xmldsig::sign::SigningKey::from_pem(
            &std::fs::read(key)?,
            &std::fs::read(cert)?,
        )?;
        let body = std::fs::read(file)?;
        let signed = dui_conform::xmldsig::iti41::sign_iti41(&body, ct, &key, time)?;
        std::fs::write(file, signed)?;
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sign_iti41: {e}");
            ExitCode::from(2)
        }
    }
}
