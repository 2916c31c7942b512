# bash completion for cardctl(1). Installed as share/bash-completion/completions/cardctl.

_cardctl() {
  local cur prev cmd i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}

  local commands="readers status init policy issue retire challenge respond unblock so-unblock pin puk list show revoke puc holder operator audit site"
  local global="--reader --serial --json -q --quiet -v --verbose --no-prompt -h --help --version"

  # The subcommand is the first word that is neither an option nor an option's value.
  cmd=
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --reader | --readers | --operator-card | --card-reader | --serial | --home | --operator | --template | --holder | --name | --email | --answer | --card | --challenge | --algorithm | --key-version | --response | --policy | --import-master | --master-key | --pkcs11-module | --state | --reason | --ca-cert | --ca-key | --csr-out | --import-certificates | --batch | --report | --format | --out | --recipient | --*-file) ((i++)) ;;
      -*) ;;
      *)
        cmd=${COMP_WORDS[i]}
        break
        ;;
    esac
  done

  # --reader (and --readers) sim:PATH: bash splits words at ':' (COMP_WORDBREAKS), so PATH is its own word after
  # "sim" ":".
  if [[ $prev == : && ${COMP_WORDS[COMP_CWORD - 2]} == sim && ${COMP_WORDS[COMP_CWORD - 3]} =~ ^--(readers?|operator-card|card-reader)$ ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  if [[ $cur == : && $prev == sim && ${COMP_WORDS[COMP_CWORD - 2]} =~ ^--(readers?|operator-card|card-reader)$ ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- ""))
    return
  fi

  case $prev in
    --reader | --readers | --operator-card | --card-reader)
      compopt -o nospace 2>/dev/null
      COMPREPLY=($(compgen -W "sim: @" -- "$cur"))
      return
      ;;
    --serial | --holder | --name | --email | --answer | --card | --challenge | --key-version | --response | --operator | --template | --reason)
      return
      ;;
    --algorithm)
      COMPREPLY=($(compgen -W "tdes aes128 aes192 aes256" -- "$cur"))
      return
      ;;
    --state)
      COMPREPLY=($(compgen -W "pending active revoked retired" -- "$cur"))
      return
      ;;
    --format)
      COMPREPLY=($(compgen -W "cms mailer json" -- "$cur"))
      return
      ;;
    --home | --csr-out | --import-certificates | --out)
      compopt -o dirnames 2>/dev/null
      COMPREPLY=($(compgen -d -- "$cur"))
      return
      ;;
    --policy | --import-master | --pkcs11-module | --ca-cert | --ca-key | --batch | --report | --recipient | --*-file)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
  esac

  local opts
  case $cmd in
    "")
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$global" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
      fi
      return
      ;;
    readers) opts="--reader --json" ;;
    status) opts="--reader --serial --all-slots --json" ;;
    init) opts="--policy --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --force --rotate --import-master --key-version --master-key --pkcs11-module --inventory --so-token --reader --serial --so-key-file --pin-file --dry-run --json" ;;
    so-unblock) opts="--reader --serial --so-key-file --pin-file --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
    policy)
      local action=
      for ((i++; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == check || ${COMP_WORDS[i]} == apply ]] && action=${COMP_WORDS[i]} && break
      done
      if [[ -n $action && $cur != -* ]]; then  # FILE
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        return
      fi
      case $action in
        check) opts="--json" ;;
        apply) opts="--dry-run --yes --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
        *) opts="check apply" ;;
      esac
      ;;
    issue) opts="--reader --serial --template --holder --name --email --answer --choose-pin --pin-file --current-pin-file --force --replace --dry-run --ca-cert --ca-key --ca-passphrase-file --csr-out --import-certificates --batch --readers --skip-bad-rows --report --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
    retire) opts="--reader --serial --absent --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
    challenge) opts="--reader --serial --detach --response-file --no-check --pin-file --policy --template --json" ;;
    respond) opts="--card --challenge --no-check --report-rejected --answers-file --algorithm --key-version --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
    unblock) opts="--reader --serial --response --response-file --no-check --pin-file --puc --puk-file --in-person --id-check --dry-run --force --policy --template --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
    pin) opts="verify change --reader --serial --pin-file --new-pin-file --force --json" ;;
    puk) opts="change --reader --serial --puk-file --new-puk-file --force --json" ;;
    list) opts="--state --holder --template --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
    show) opts="--home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
    revoke) opts="--reason --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
    puc)
      local action=
      for ((i++; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == show || ${COMP_WORDS[i]} == export || ${COMP_WORDS[i]} == rotate ]] && action=${COMP_WORDS[i]} && break
      done
      case $action in
        show) opts="--answers-file --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
        export) opts="--holder --format --out --recipient --pem --force --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
        rotate) opts="--reader --serial --force --dry-run --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
        *) opts="show export rotate" ;;
      esac
      ;;
    holder) opts="show answers clear-lockout --answer --reason --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
    operator)
      if [[ $prev == --role ]]; then
        COMPREPLY=($(compgen -W "system_owner issuer helpdesk auditor" -- "$cur"))
        return
      fi
      opts="add add-card remove list --role --card-reader --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --json" ;;
    site) opts="show migrate --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --to --json" ;;
    audit) opts="verify show --home --operator --passphrase-file --operator-card --operator-pin-file --token-pin-file --card --action --by --since --until --json" ;;
    *) return ;;
  esac
  COMPREPLY=($(compgen -W "$opts -q --quiet -v --verbose --no-prompt -h --help" -- "$cur"))
}

complete -F _cardctl cardctl
