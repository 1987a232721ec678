//! RFC 3161 signed timestamps (`timestampVerificationData.rfc3161Timestamps`): the time
//! source for Rekor v2 entries, which carry no integrated time.

use crate::cert::{parse_cert, Cert, EKU_TIME_STAMPING};
use crate::model::Authority;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_tsp::{TimeStampResp, TstInfo};

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TSTINFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

fn digest(alg: &ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, String> {
    if *alg == SHA256 {
        Ok(Sha256::digest(data).to_vec())
    } else if *alg == SHA384 {
        Ok(Sha384::digest(data).to_vec())
    } else if *alg == SHA512 {
        Ok(Sha512::digest(data).to_vec())
    } else {
        Err(format!("digest algorithm {alg} is not supported"))
    }
}

/// Verify one timestamp over `signature` against the trusted timestamp authorities.
/// Returns the verified generation time (Unix seconds) and the authority's URI.
pub(crate) fn verify_timestamp(
    der_bytes: &[u8],
    signature: &[u8],
    tsas: &[Authority],
) -> Result<(i64, String), String> {
    let token = match TimeStampResp::from_der(der_bytes) {
        Ok(resp) => {
            let status = resp.status.status as u8;
            if status > 1 {
                return Err(format!("timestamp response status {status} is not granted"));
            }
            resp.time_stamp_token
                .ok_or("timestamp response carries no token")?
        }
        Err(_) => ContentInfo::from_der(der_bytes)
            .map_err(|e| format!("neither a TimeStampResp nor a token: {e}"))?,
    };
    if token.content_type != ID_SIGNED_DATA {
        return Err("timestamp token is not CMS SignedData".into());
    }
    let sd: SignedData = token
        .content
        .decode_as()
        .map_err(|e| format!("malformed SignedData: {e}"))?;
    if sd.encap_content_info.econtent_type != ID_CT_TSTINFO {
        return Err("timestamp token content is not TSTInfo".into());
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or("timestamp token has no TSTInfo content")?;
    let tst_der = der::asn1::OctetStringRef::try_from(econtent)
        .map_err(|e| format!("TSTInfo is not wrapped in an OCTET STRING: {e}"))?
        .as_bytes()
        .to_vec();
    let tst = TstInfo::from_der(&tst_der).map_err(|e| format!("malformed TSTInfo: {e}"))?;
    let imprint = digest(&tst.message_imprint.hash_algorithm.oid, signature)?;
    if tst.message_imprint.hashed_message.as_bytes() != imprint.as_slice() {
        return Err(
            "the timestamp's message imprint is not the hash of the bundle signature".into(),
        );
    }
    let signers: Vec<_> = sd.signer_infos.0.iter().collect();
    let [si] = signers.as_slice() else {
        return Err(format!(
            "timestamp has {} signers, expected 1",
            signers.len()
        ));
    };
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or("timestamp signer has no signed attributes")?;
    let mut digest_ok = false;
    let mut type_ok = false;
    for a in attrs.iter() {
        let [value] = a.values.as_slice() else {
            return Err(format!("signed attribute {} must have one value", a.oid));
        };
        if a.oid == ID_MESSAGE_DIGEST {
            let md = der::asn1::OctetStringRef::try_from(value)
                .map_err(|e| format!("messageDigest attribute: {e}"))?;
            digest_ok = md.as_bytes() == digest(&si.digest_alg.oid, &tst_der)?.as_slice();
            if !digest_ok {
                return Err("messageDigest attribute does not match the TSTInfo".into());
            }
        } else if a.oid == ID_CONTENT_TYPE {
            type_ok = value
                .decode_as::<ObjectIdentifier>()
                .is_ok_and(|o| o == ID_CT_TSTINFO);
        }
    }
    if !digest_ok || !type_ok {
        return Err("signed attributes lack messageDigest or the TSTInfo content type".into());
    }
    let signed = attrs.to_der().map_err(|e| e.to_string())?;
    let SignerIdentifier::IssuerAndSerialNumber(isn) = &si.sid else {
        return Err("timestamp signer is identified by key ID; issuer and serial expected".into());
    };
    let gen_time = i64::try_from(tst.gen_time.to_unix_duration().as_secs())
        .map_err(|_| "timestamp time out of range".to_string())?;
    let mut reasons = Vec::new();
    for tsa in tsas {
        let Some(leaf) = tsa.chain.first() else {
            continue;
        };
        let tbs = &leaf.cert.tbs_certificate;
        if tbs.issuer != isn.issuer || tbs.serial_number != isn.serial_number {
            reasons.push(format!("{}: not the signer", tsa.uri));
            continue;
        }
        let r = (|| -> Result<(), String> {
            leaf.key.verify_with_alg(
                &si.signature_algorithm.oid,
                &signed,
                si.signature.as_bytes(),
            )?;
            tsa.links.clone()?;
            if !tsa.valid.contains(gen_time) {
                return Err(format!(
                    "time {} outside the authority's validFor {}",
                    crate::time::format_unix(gen_time),
                    tsa.valid.describe()
                ));
            }
            for c in &tsa.chain {
                if gen_time < c.not_before || gen_time > c.not_after {
                    return Err(format!(
                        "certificate {} not valid at the timestamp",
                        c.subject()
                    ));
                }
            }
            Ok(())
        })();
        match r {
            Ok(()) => return Ok((gen_time, tsa.uri.clone())),
            Err(e) => reasons.push(format!("{}: {e}", tsa.uri)),
        }
    }
    // Embedded certificates are parsed (and must be well-formed) but never trusted.
    if let Some(set) = &sd.certificates {
        for c in set.0.iter() {
            if let cms::cert::CertificateChoices::Certificate(c) = c {
                let der = c.to_der().map_err(|e| e.to_string())?;
                parse_cert(&der, "timestamp certificate", "$").map_err(|e| e.to_string())?;
            }
        }
    }
    Err(if reasons.is_empty() {
        "the trusted root has no timestamp authorities".into()
    } else {
        format!(
            "no trusted timestamp authority verifies it: {}",
            reasons.join("; ")
        )
    })
}

/// The bundle-independent part of a timestamp authority's chain (signing certificate first):
/// each certificate is signed by the next, every certificate above the first is a CA, and the
/// first carries the timeStamping EKU. [`crate::TrustedRoot::from_json`] runs it once.
pub(crate) fn tsa_chain_links(chain: &[Cert]) -> Result<(), String> {
    for pair in chain.windows(2) {
        pair[0].verify_signed_by(&pair[1].key)?;
        if !pair[1].is_ca()? {
            return Err(format!("'{}' is not a CA", pair[1].subject()));
        }
    }
    if let Some(leaf) = chain.first() {
        if !leaf.ekus()?.contains(&EKU_TIME_STAMPING) {
            return Err("TSA certificate lacks the timeStamping EKU".into());
        }
    }
    Ok(())
}
