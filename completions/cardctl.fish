# fish completion for cardctl(1). Installed in share/fish/vendor_completions.d.

set -l commands readers status

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
