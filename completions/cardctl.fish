# fish completion for cardctl(1). Installed in share/fish/vendor_completions.d.

set -l commands readers status init policy issue retire challenge respond unblock so-unblock pin puk list show revoke puc holder operator audit site

complete -c cardctl -f

# --reader: "sim:" then a card file, or "@" then an exact reader name.
function __cardctl_reader
    set -l token (commandline -ct)
    printf '%s\n' sim: @
    if string match -q 'sim:*' -- $token
        for p in (__fish_complete_path (string replace -r '^sim:' '' -- $token))
            echo sim:$p
        end
    end
end

# Commands
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a readers -d 'List the PC/SC readers and the cards in them'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a status -d 'Show a card: identity, tries left, management key, slots'

# Global options (before or after the command)
complete -c cardctl -l reader -x -a '(__cardctl_reader)' -d 'Card: part of a reader name, @NAME, or sim:PATH'
complete -c cardctl -l serial -x -d 'Card by serial number'
complete -c cardctl -l json -d 'Machine-readable output (JSON)'
complete -c cardctl -s q -l quiet -d 'Print no notes or warnings'
complete -c cardctl -s v -l verbose -d 'Explain, with the APDU trace (secrets masked)'
complete -c cardctl -l no-prompt -d 'Never ask on the terminal; list missing secrets'
complete -c cardctl -s h -l help -d 'Show help'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -l version -d 'Show the version'

complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a init -d 'Create the installation; import or rotate master keys'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a policy -d 'Check a policy file, or apply one'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a issue -d 'Personalise a card from a template'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a retire -d 'Wipe a returned card and take it out of service'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a challenge -d 'Show the offline-unblock challenge'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a respond -d 'Helpdesk: turn a challenge into a response'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a unblock -d 'Unblock the PIN with a response, the PUK, or in person'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a so-unblock -d 'Give the SO token a new PIN with its SO unblock key'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a pin -d 'Holder: verify or change the PIN'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a puk -d 'Holder: change the PUK'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a list -d 'List the cards in the inventory'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a show -d 'Show one card: holder, state, unblocks used, history'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a revoke -d 'Revoke an active card, with the reason audited'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a audit -d 'Verify and show the audit trail'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a site -d 'Where the parts live; move them to a shared database'
complete -c cardctl -n "__fish_seen_subcommand_from policy; and not __fish_seen_subcommand_from check apply" -a check -d 'Check a policy file'
complete -c cardctl -n "__fish_seen_subcommand_from policy; and not __fish_seen_subcommand_from check apply" -a apply -d 'Replace the installed policy with a file'
complete -c cardctl -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from check apply" -F
complete -c cardctl -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from apply" -l dry-run -d 'Check the file and show the changes; change nothing'
complete -c cardctl -n "__fish_seen_subcommand_from policy; and __fish_seen_subcommand_from apply" -l yes -d 'Apply without asking'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a puc -d "Disclose, export or replace a card's escrowed PUK"
complete -c cardctl -n "__fish_seen_subcommand_from puc; and not __fish_seen_subcommand_from show export rotate" -a show -d 'Show a PUK to the identified holder'
complete -c cardctl -n "__fish_seen_subcommand_from puc; and not __fish_seen_subcommand_from show export rotate" -a export -d 'Deliver PUKs: CMS, PIN mailer or JSON'
complete -c cardctl -n "__fish_seen_subcommand_from puc; and not __fish_seen_subcommand_from show export rotate" -a rotate -d 'Replace the PUK (card in the reader)'
complete -c cardctl -n "__fish_seen_subcommand_from puc; and __fish_seen_subcommand_from show" -l answers-file -r -F -d 'Caller answers file'
complete -c cardctl -n "__fish_seen_subcommand_from puc; and __fish_seen_subcommand_from export" -l holder -x -d 'Every active or pending card of a holder'
complete -c cardctl -n "__fish_seen_subcommand_from puc; and __fish_seen_subcommand_from export" -l format -x -a 'cms mailer json' -d 'Output format'
complete -c cardctl -n "__fish_seen_subcommand_from puc; and __fish_seen_subcommand_from export" -l out -x -a '(__fish_complete_directories)' -d 'Output directory, or - for stdout'
complete -c cardctl -n "__fish_seen_subcommand_from puc; and __fish_seen_subcommand_from export" -l recipient -r -F -d 'Certificate to encrypt to (cms)'
complete -c cardctl -n "__fish_seen_subcommand_from puc; and __fish_seen_subcommand_from export" -l pem -d 'Write PEM (cms)'
complete -c cardctl -n "__fish_seen_subcommand_from puc; and __fish_seen_subcommand_from export" -l force -d 'Replace existing files'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a holder -d "A holder's record: answers, lockout"
complete -c cardctl -n "__fish_seen_subcommand_from holder" -a 'show answers clear-lockout'
complete -c cardctl -n "__fish_seen_subcommand_from holder" -l answer -x -d 'Question id'
complete -c cardctl -n "__fish_seen_subcommand_from holder" -l reason -x -d 'Why, for the audit trail'
complete -c cardctl -n "not __fish_seen_subcommand_from $commands" -a operator -d 'Register the operators and their roles'
complete -c cardctl -n "__fish_seen_subcommand_from operator" -a 'add add-card remove list'
complete -c cardctl -n "__fish_seen_subcommand_from add add-card" -l card-reader -x -d 'Reader of the operator card to enrol (sim:PATH)'
complete -c cardctl -n "__fish_seen_subcommand_from operator" -l role -x -a 'system_owner issuer helpdesk auditor' -d 'Role from the policy'
complete -c cardctl -n "__fish_seen_subcommand_from audit" -a 'verify show'
complete -c cardctl -n "__fish_seen_subcommand_from site" -a 'show migrate'
complete -c cardctl -n "__fish_seen_subcommand_from site" -l to -x -d 'PostgreSQL URL to move into'
complete -c cardctl -n "__fish_seen_subcommand_from init" -l inventory -x -d 'PostgreSQL URL of the shared inventory'
complete -c cardctl -n "__fish_seen_subcommand_from pin; and not __fish_seen_subcommand_from verify change" -a verify -d 'Check the PIN'
complete -c cardctl -n "__fish_seen_subcommand_from pin; and not __fish_seen_subcommand_from verify change" -a change -d 'Change the PIN'
complete -c cardctl -n "__fish_seen_subcommand_from puk; and not __fish_seen_subcommand_from change" -a change -d 'Change the PUK'

# Installation options
complete -c cardctl -n "__fish_seen_subcommand_from init issue retire respond unblock list show revoke puc holder operator audit apply so-unblock site" -l home -x -a '(__fish_complete_directories)' -d 'Installation directory'
complete -c cardctl -n "__fish_seen_subcommand_from init issue retire respond unblock list show revoke puc holder operator audit apply so-unblock" -l operator -x -d 'Operator name for the audit trail'
complete -c cardctl -n "__fish_seen_subcommand_from init issue retire respond unblock list show revoke puc holder operator audit apply so-unblock" -l passphrase-file -r -F -d 'Keystore passphrase file'
complete -c cardctl -n "__fish_seen_subcommand_from init issue retire respond list show revoke puc holder operator audit apply unblock so-unblock" -l operator-card -x -d 'Reader of the operator card that opens the keystore'
complete -c cardctl -n "__fish_seen_subcommand_from init issue retire respond list show revoke puc holder operator audit apply unblock so-unblock" -l operator-pin-file -r -F -d 'Operator card PIN file'
complete -c cardctl -n "__fish_seen_subcommand_from init issue retire respond list show revoke puc holder operator audit apply unblock so-unblock" -l token-pin-file -r -F -d 'PKCS#11 token PIN file'
complete -c cardctl -n "__fish_seen_subcommand_from init challenge unblock" -l policy -r -F -d 'Policy file'
complete -c cardctl -n "__fish_seen_subcommand_from init" -l force -d 'Replace an existing installation'
complete -c cardctl -n "__fish_seen_subcommand_from init" -l rotate -d 'Add a master key version'
complete -c cardctl -n "__fish_seen_subcommand_from init" -l so-token -d 'Issue the System Owner token on the card'
complete -c cardctl -n "__fish_seen_subcommand_from init" -l dry-run -d 'With --so-token: print the steps, change nothing'
complete -c cardctl -n "__fish_seen_subcommand_from init so-unblock" -l so-key-file -r -F -d 'SO unblock key file'
complete -c cardctl -n "__fish_seen_subcommand_from init" -l import-master -r -F -d 'Master key file'
complete -c cardctl -n "__fish_seen_subcommand_from init" -l master-key -x -d 'Keep the master key in a PKCS#11 token (pkcs11: URI)'
complete -c cardctl -n "__fish_seen_subcommand_from init" -l pkcs11-module -r -F -d 'PKCS#11 module of the token'
complete -c cardctl -n "__fish_seen_subcommand_from init respond" -l key-version -x -d 'Master key version'
complete -c cardctl -n "__fish_seen_subcommand_from issue challenge unblock list" -l template -x -d 'Card template'
complete -c cardctl -n "__fish_seen_subcommand_from issue list" -l holder -x -d 'Holder id'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l name -x -d 'Holder name'
complete -c cardctl -n "__fish_seen_subcommand_from status" -l all-slots -d 'Read every retired slot, whatever the key history says'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l answer -x -d 'Security question id'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l choose-pin -d 'Ask for the first PIN'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l force -d 'Go on with one PIN try left'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l email -x -d 'Holder e-mail address'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l replace -d 'The active card is lost: revoke it, issue this one'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l dry-run -d 'Print every step; change nothing'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l current-pin-file -r -F -d 'Current PIN file of the card'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l ca-cert -r -F -d 'CA certificate (PEM)'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l ca-key -r -F -d 'CA private key (PEM)'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l ca-passphrase-file -r -F -d 'CA key passphrase file'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l csr-out -x -a '(__fish_complete_directories)' -d 'Write certificate requests to DIR'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l import-certificates -x -a '(__fish_complete_directories)' -d 'Finish the card with the certificates in DIR'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l batch -r -F -d 'Issue to every holder in a CSV or TOML file'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l readers -x -a '(__cardctl_reader)' -d 'With --batch: readers matching PATTERN, or sim:PATH'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l skip-bad-rows -d 'With --batch: issue the well-formed rows'
complete -c cardctl -n "__fish_seen_subcommand_from issue" -l report -r -F -d 'With --batch: JSON report file (mode 0600)'
complete -c cardctl -n "__fish_seen_subcommand_from retire" -l absent -d 'Not at hand: only mark it retired'
complete -c cardctl -n "__fish_seen_subcommand_from issue challenge unblock pin init so-unblock" -l pin-file -r -F -d 'PIN file'
complete -c cardctl -n "__fish_seen_subcommand_from pin" -l new-pin-file -r -F -d 'New PIN file'
complete -c cardctl -n "__fish_seen_subcommand_from challenge" -l detach -d 'Leave the card for unblock --response'
complete -c cardctl -n "__fish_seen_subcommand_from challenge unblock" -l response-file -r -F -d 'Response code file'
complete -c cardctl -n "__fish_seen_subcommand_from unblock" -l response -x -d 'Response code'
complete -c cardctl -n "__fish_seen_subcommand_from challenge unblock" -l no-check -d 'The response has no check'
complete -c cardctl -n "__fish_seen_subcommand_from unblock" -l puc -d 'Unblock with the PUK'
complete -c cardctl -n "__fish_seen_subcommand_from unblock" -l in-person -d 'At the helpdesk, after an ID check'
complete -c cardctl -n "__fish_seen_subcommand_from unblock" -l id-check -x -d 'What was checked, for the audit'
complete -c cardctl -n "__fish_seen_subcommand_from unblock puc" -l dry-run -d 'Checks and plan only'
complete -c cardctl -n "__fish_seen_subcommand_from unblock puk" -l puk-file -r -F -d 'PUK file'
complete -c cardctl -n "__fish_seen_subcommand_from puk" -l new-puk-file -r -F -d 'New PUK file'
complete -c cardctl -n "__fish_seen_subcommand_from unblock puc" -l force -d "Allow a PUK try the counter cannot spare"
complete -c cardctl -n "__fish_seen_subcommand_from pin puk" -l force -d 'Allow the last try'
complete -c cardctl -n "__fish_seen_subcommand_from respond audit" -l card -x -d 'Card id'
complete -c cardctl -n "__fish_seen_subcommand_from respond" -l challenge -x -d 'Challenge code'
complete -c cardctl -n "__fish_seen_subcommand_from respond" -l no-check -d 'The challenge has no check'
complete -c cardctl -n "__fish_seen_subcommand_from respond" -l report-rejected -d 'Record that the card rejected a correct response'
complete -c cardctl -n "__fish_seen_subcommand_from respond" -l answers-file -r -F -d "Caller's answers file"
complete -c cardctl -n "__fish_seen_subcommand_from respond" -l algorithm -x -a 'tdes aes128 aes192 aes256' -d 'Admin key algorithm'
complete -c cardctl -n "__fish_seen_subcommand_from audit" -l action -x -d 'Only this action'
complete -c cardctl -n "__fish_seen_subcommand_from audit" -l by -x -d 'Only this operator'
complete -c cardctl -n "__fish_seen_subcommand_from audit" -l since -x -d 'From this UTC time'
complete -c cardctl -n "__fish_seen_subcommand_from audit" -l until -x -d 'Up to this UTC time'
complete -c cardctl -n "__fish_seen_subcommand_from list" -l state -x -a 'pending active revoked retired' -d 'Only cards in this state'
complete -c cardctl -n "__fish_seen_subcommand_from revoke" -l reason -x -d 'Why, for the audit trail'
