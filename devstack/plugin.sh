#!/bin/bash
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

# shellcheck shell=bash
# devstack/plugin.sh - the zaqar:// transport for Trove, and its tempest plugin
#
# devstack sources this file with "$1 $2" for each phase, after zaqar's and
# trove's plugin.sh (see plugin_requires in settings):
#   stack pre-install  check the plugin order and the variables
#   stack install      install this package (the driver) in devstack's venv,
#                      where Trove's control plane runs
#   stack post-config  the transport's keystone project and users; Trove's
#                      control-plane transport_url (Trove's post-config has
#                      just rewritten trove.conf); Zaqar's websocket bind
#   stack extra        the guests: transport_url in trove-guestagent.conf
#                      (Trove's extra has just rewritten it) and the driver
#                      in the guest agent's venv; restart Trove's control
#                      plane now that Zaqar (started in Zaqar's extra)
#                      answers; start guest stand-ins (service ztt-guest).
#                      local.conf [[post-extra|...]] sections still apply
#                      after this phase.
#   stack test-config  tempest's [zaqar_trove] and [zaqar_trove_feature_enabled]
#   unstack            stop the guest stand-ins
#   clean              remove this plugin's data

ZAQAR_TROVE_XTRACE=$(set +o | grep xtrace)
set -o xtrace

ZAQAR_TROVE_HELPER=$ZAQAR_TROVE_DIR/devstack/tools/gate_helper.py
ZAQAR_TROVE_CLOUDINIT_DIR=${ZAQAR_TROVE_CLOUDINIT_DIR:-/etc/trove/cloudinit}

# True when Trove's control plane and guests talk over zaqar://.
function zaqar_trove_is_trove_over_zaqar {
    is_service_enabled trove &&
        [[ "$ZAQAR_TROVE_CONTROL_TRANSPORT" == zaqar ]] &&
        [[ "$ZAQAR_TROVE_GUEST_TRANSPORT" == zaqar ]]
}

# zaqar_trove_check_setup - fail early on variables or a plugin order that
# cannot work.
function zaqar_trove_check_setup {
    local value plugin seen=""
    for value in "$ZAQAR_TROVE_CONTROL_TRANSPORT" \
            "$ZAQAR_TROVE_GUEST_TRANSPORT"; do
        if [[ "$value" != zaqar && "$value" != rabbit ]]; then
            die $LINENO "ZAQAR_TROVE_CONTROL_TRANSPORT and" \
                "ZAQAR_TROVE_GUEST_TRANSPORT are zaqar or rabbit, not '$value'"
        fi
    done
    if is_service_enabled trove && \
            [[ "$ZAQAR_TROVE_CONTROL_TRANSPORT" != "$ZAQAR_TROVE_GUEST_TRANSPORT" ]]; then
        die $LINENO "Trove uses one transport for its control plane and" \
            "its guests: set ZAQAR_TROVE_CONTROL_TRANSPORT and" \
            "ZAQAR_TROVE_GUEST_TRANSPORT alike"
    fi
    case "$ZAQAR_TROVE_GUEST_INSTALL" in
        controller|pip|image) ;;
        *) die $LINENO "ZAQAR_TROVE_GUEST_INSTALL is controller, pip or" \
            "image, not '$ZAQAR_TROVE_GUEST_INSTALL'" ;;
    esac
    for plugin in ${DEVSTACK_PLUGINS//,/ }; do
        if [[ "$plugin" == zaqar-trove-tests ]]; then
            seen=1
        elif [[ -n "$seen" && ( "$plugin" == zaqar || "$plugin" == trove ) ]]; then
            die $LINENO "enable_plugin zaqar-trove-tests must come after" \
                "enable_plugin $plugin in local.conf"
        fi
    done
    if [[ "$ZAQAR_TROVE_TLS" == True ]]; then
        if ! is_service_enabled tls-proxy; then
            die $LINENO "ZAQAR_TROVE_TLS needs devstack's tls-proxy service"
        fi
        if is_service_enabled trove && \
                [[ "$ZAQAR_TROVE_GUEST_TRANSPORT" == zaqar ]]; then
            # A guest would need devstack's CA; nothing brings it there yet.
            die $LINENO "ZAQAR_TROVE_TLS is for the control plane and" \
                "tempest only: Trove guests have no CA bundle to trust"
        fi
    fi
    if is_plugin_enabled zaqar && ! is_service_enabled zaqar-websocket; then
        ZAQAR_TROVE_WEBSOCKET=False
        ZAQAR_TROVE_GUEST_WEBSOCKET=False
    fi
}

# zaqar_trove_url USER PASSWORD HOST AUTH_URL WEBSOCKET - a zaqar:// URL for
# the transport project; WEBSOCKET (True/False) adds Zaqar's websocket
# endpoint on HOST, which makes the driver use push delivery. With
# ZAQAR_TROVE_TLS, zaqar+https:// to devstack's TLS proxy, trusting
# devstack's CA (the websocket server is not behind the proxy: ws://).
function zaqar_trove_url {
    local ws="" port=$ZAQAR_TROVE_ZAQAR_PORT tls=()
    if [[ "$5" == True ]]; then
        ws="ws://$3:$ZAQAR_TROVE_WEBSOCKET_PORT"
    fi
    if [[ "$ZAQAR_TROVE_TLS" == True ]]; then
        port=$ZAQAR_TROVE_ZAQAR_TLS_PORT
        tls=(--tls --cafile "$ZAQAR_TROVE_CAFILE")
    fi
    $PYTHON "$ZAQAR_TROVE_HELPER" url --user "$1" --password "$2" \
        --host "$3" --port "$port" \
        --path "$ZAQAR_TROVE_ZAQAR_PATH" --auth-url "$4" \
        --project "$ZAQAR_TROVE_PROJECT" \
        --user-domain "$ZAQAR_TROVE_DOMAIN" \
        --project-domain "$ZAQAR_TROVE_DOMAIN" --websocket-url "$ws" \
        "${tls[@]}"
}

# zaqar_trove_mask URL - URL without its password, for logs.
function zaqar_trove_mask {
    echo "$1" | sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#'
}

# install_zaqar_trove - this package (the driver and the tempest plugin)
# in devstack's venv, where Trove's control plane runs.
function install_zaqar_trove {
    setup_develop "$ZAQAR_TROVE_DIR"
    if is_service_enabled ztt-guest && ! is_service_enabled trove; then
        # The stand-ins drive Trove's own serializers and guest API: the
        # Trove under test (Zuul's checkout), never a release from PyPI.
        if [[ ! -f "$ZAQAR_TROVE_STANDIN_TROVE_DIR/setup.cfg" ]]; then
            die $LINENO "service ztt-guest needs Trove's checkout in" \
                "$ZAQAR_TROVE_STANDIN_TROVE_DIR (openstack/trove in the" \
                "job's required-projects)"
        fi
        setup_develop "$ZAQAR_TROVE_STANDIN_TROVE_DIR"
    fi
}

# create_zaqar_trove_accounts - the transport's project and its two users.
function create_zaqar_trove_accounts {
    local project user
    project=$(get_or_create_project "$ZAQAR_TROVE_PROJECT" "$ZAQAR_TROVE_DOMAIN")
    user=$(get_or_create_user "$ZAQAR_TROVE_USER" "$ZAQAR_TROVE_PASSWORD" \
        "$ZAQAR_TROVE_DOMAIN")
    get_or_add_user_project_role "$ZAQAR_TROVE_ROLE" "$user" "$project"
    user=$(get_or_create_user "$ZAQAR_TROVE_GUEST_USER" \
        "$ZAQAR_TROVE_GUEST_PASSWORD" "$ZAQAR_TROVE_DOMAIN")
    get_or_add_user_project_role "$ZAQAR_TROVE_ROLE" "$user" "$project"

    # For the post-run playbook: the transport project's queues.
    # shellcheck disable=SC2086 # CA_CERT_ARG is empty or "--os-cacert X"
    $PYTHON "$TOP_DIR/tools/update_clouds_yaml.py" \
        --file "${CLOUDS_YAML:-/etc/openstack/clouds.yaml}" \
        --os-cloud zaqar-trove-rpc --os-region-name "$REGION_NAME" \
        $CA_CERT_ARG --os-auth-url "$KEYSTONE_SERVICE_URI" \
        --os-username "$ZAQAR_TROVE_USER" \
        --os-password "$ZAQAR_TROVE_PASSWORD" \
        --os-project-name "$ZAQAR_TROVE_PROJECT"
}

# configure_zaqar_trove_control - Trove's control plane on zaqar://, and a
# Zaqar websocket server that guests on the management network can reach.
function configure_zaqar_trove_control {
    if is_service_enabled trove && \
            [[ "$ZAQAR_TROVE_CONTROL_TRANSPORT" == zaqar ]]; then
        iniset "$TROVE_CONF" DEFAULT transport_url "$(zaqar_trove_url \
            "$ZAQAR_TROVE_USER" "$ZAQAR_TROVE_PASSWORD" \
            "$ZAQAR_TROVE_ZAQAR_HOST" "$ZAQAR_TROVE_AUTH_URL" \
            "$ZAQAR_TROVE_WEBSOCKET")"
    fi
    if zaqar_trove_is_trove_over_zaqar && \
            [[ "$ZAQAR_TROVE_GUEST_WEBSOCKET" == True ]]; then
        iniset "$ZAQAR_CONF" drivers:transport:websocket bind 0.0.0.0
    fi
}

# build_zaqar_trove_guest_wheels - wheels of the driver (no dependencies:
# Trove's guest venv has oslo.messaging) and of ZAQAR_TROVE_GUEST_DEPS with
# their own dependencies under devstack's constraints, served by Apache at
# /$ZAQAR_TROVE_WHEEL_URL_PATH/ so that guests need no package index.
function build_zaqar_trove_guest_wheels {
    local site=zaqar-trove-wheels
    rm -rf "$ZAQAR_TROVE_WHEEL_DIR"
    mkdir -p "$ZAQAR_TROVE_WHEEL_DIR"
    $PYTHON -m pip wheel --no-deps -w "$ZAQAR_TROVE_WHEEL_DIR" \
        "$ZAQAR_TROVE_DIR"
    if [[ -n "$ZAQAR_TROVE_GUEST_DEPS" ]]; then
        # shellcheck disable=SC2086 # a list of requirement specifiers
        $PYTHON -m pip wheel -w "$ZAQAR_TROVE_WHEEL_DIR" \
            -c "$ZAQAR_TROVE_GUEST_CONSTRAINTS" $ZAQAR_TROVE_GUEST_DEPS
    fi
    chmod -R a+rX "$ZAQAR_TROVE_WHEEL_DIR"
    sudo tee "$(apache_site_config_for $site)" > /dev/null <<EOF
Alias /$ZAQAR_TROVE_WHEEL_URL_PATH $ZAQAR_TROVE_WHEEL_DIR
<Directory $ZAQAR_TROVE_WHEEL_DIR>
    Options +Indexes
    Require all granted
</Directory>
EOF
    enable_apache_site $site
    restart_apache_server
}

# install_zaqar_trove_guest_driver HOST - make each Trove datastore
# cloud-config install the driver into the guest agent's venv at first
# boot; HOST is the controller's address on the guests' network.
function install_zaqar_trove_guest_driver {
    local args file merged
    args=(--mode "$ZAQAR_TROVE_GUEST_INSTALL" --deps "$ZAQAR_TROVE_GUEST_DEPS")
    case "$ZAQAR_TROVE_GUEST_INSTALL" in
        image)
            return 0
            ;;
        controller)
            build_zaqar_trove_guest_wheels
            args+=(--wheel-url "http://$1/$ZAQAR_TROVE_WHEEL_URL_PATH/")
            ;;
        pip)
            args+=(--pip-spec "$ZAQAR_TROVE_GUEST_PIP_SPEC"
                --constraints /opt/upper-constraints.txt)
            ;;
    esac
    for file in "$ZAQAR_TROVE_CLOUDINIT_DIR"/*.cloudinit; do
        if [[ ! -f "$file" ]]; then
            die $LINENO "Trove wrote no cloud-config in" \
                "$ZAQAR_TROVE_CLOUDINIT_DIR: the guests cannot get the driver"
        fi
        merged=$($PYTHON "$ZAQAR_TROVE_HELPER" cloudinit "$file" "${args[@]}") ||
            die $LINENO "could not add the driver install to $file"
        echo "$merged" | sudo tee "$file" > /dev/null
    done
}

# configure_zaqar_trove_guest - guests on zaqar://. Runs after Trove's extra
# phase, which wrote the guests' RabbitMQ URL with the host they can reach.
function configure_zaqar_trove_guest {
    local host auth_url
    if [[ -n "$ZAQAR_TROVE_GUEST_HOST" ]]; then
        host=$ZAQAR_TROVE_GUEST_HOST
        auth_url=$KEYSTONE_SERVICE_PROTOCOL://$host/identity
    else
        host=$($PYTHON "$ZAQAR_TROVE_HELPER" host \
            "$(iniget "$TROVE_GUESTAGENT_CONF" DEFAULT transport_url)")
        auth_url=$(iniget "$TROVE_GUESTAGENT_CONF" service_credentials auth_url)
        auth_url=${auth_url:-$KEYSTONE_SERVICE_PROTOCOL://$host/identity}
    fi
    iniset "$TROVE_GUESTAGENT_CONF" DEFAULT transport_url "$(zaqar_trove_url \
        "$ZAQAR_TROVE_GUEST_USER" "$ZAQAR_TROVE_GUEST_PASSWORD" "$host" \
        "$auth_url" "$ZAQAR_TROVE_GUEST_WEBSOCKET")"
    if [[ "$ZAQAR_TROVE_GUEST_WEBSOCKET" == True ]]; then
        openstack --os-cloud trove security group rule create --protocol tcp \
            --dst-port "$ZAQAR_TROVE_WEBSOCKET_PORT" \
            "$TROVE_MGMT_SECURITY_GROUP"
    fi
    install_zaqar_trove_guest_driver "$host"
}

# restart_zaqar_trove_control - Trove's extra phase started its services
# before Zaqar's extra phase started Zaqar; start them again on a live Zaqar.
function restart_zaqar_trove_control {
    local service
    for service in tr-api tr-tmgr tr-cond; do
        if is_service_enabled $service; then
            restart_service "devstack@$service.service"
        fi
    done
}

# provision_zaqar_trove_guests HOST ID... - per-guest credentials: for each
# instance, ZAQAR_TROVE_GUEST_CREDENTIALS_DIR/<id>/trove-guestagent.conf
# (a transport_url without keystone credentials) and zaqar-grants.json
# (pre-signed URLs for that guest's own queues and a POST on the
# conductor's topic), minted with the control plane's identity by
# zaqar_trove_tests.rpc.provision. HOST is where the guests reach Zaqar.
function provision_zaqar_trove_guests {
    local host=$1 scheme=zaqar port=$ZAQAR_TROVE_ZAQAR_PORT query=""
    shift
    if [[ "$ZAQAR_TROVE_TLS" == True ]]; then
        scheme=zaqar+https
        port=$ZAQAR_TROVE_ZAQAR_TLS_PORT
        query="?cafile=$ZAQAR_TROVE_CAFILE"
    fi
    mkdir -p "$ZAQAR_TROVE_GUEST_CREDENTIALS_DIR"
    chmod 700 "$ZAQAR_TROVE_GUEST_CREDENTIALS_DIR"
    # The control plane's URL (its password) goes through the environment.
    ZTT_CONTROL_TRANSPORT_URL=$(zaqar_trove_url "$ZAQAR_TROVE_USER" \
        "$ZAQAR_TROVE_PASSWORD" "$ZAQAR_TROVE_ZAQAR_HOST" \
        "$ZAQAR_TROVE_AUTH_URL" False) \
        $PYTHON -m zaqar_trove_tests.rpc.provision \
        --out-dir "$ZAQAR_TROVE_GUEST_CREDENTIALS_DIR" \
        --guest-url "$scheme://$host:$port/$ZAQAR_TROVE_ZAQAR_PATH$query" \
        --hours "$ZAQAR_TROVE_GUEST_GRANT_HOURS" "$@" > /dev/null ||
        die $LINENO "could not provision the guests' credentials"
}

# start_zaqar_trove_standins - guest-agent stand-ins (service ztt-guest)
# serving Trove's guest API for ZAQAR_TROVE_REMOTE_GUESTS over zaqar://,
# each with its own guest's credentials only.
function start_zaqar_trove_standins {
    if [[ -z "$ZAQAR_TROVE_REMOTE_GUESTS" ]]; then
        die $LINENO "service ztt-guest needs ZAQAR_TROVE_REMOTE_GUESTS"
    fi
    # shellcheck disable=SC2086 # comma-separated ids, one argument each
    provision_zaqar_trove_guests "$ZAQAR_TROVE_ZAQAR_HOST" \
        ${ZAQAR_TROVE_REMOTE_GUESTS//,/ }
    mkdir -p "$(dirname "$ZAQAR_TROVE_STANDIN_CONF")"
    iniset "$ZAQAR_TROVE_STANDIN_CONF" DEFAULT control_exchange trove
    iniset "$ZAQAR_TROVE_STANDIN_CONF" zaqar_trove_guest instance_ids \
        "$ZAQAR_TROVE_REMOTE_GUESTS"
    iniset "$ZAQAR_TROVE_STANDIN_CONF" zaqar_trove_guest credentials_dir \
        "$ZAQAR_TROVE_GUEST_CREDENTIALS_DIR"
    run_process ztt-guest "${ZAQAR_TROVE_STANDIN_CMD:-$PYTHON -m zaqar_trove_tests.guest --config-file $ZAQAR_TROVE_STANDIN_CONF}"
}

# write_zaqar_trove_summary - what this node's transports are, for the logs.
function write_zaqar_trove_summary {
    local file=$ZAQAR_TROVE_LOG_DIR/transports.txt
    mkdir -p "$ZAQAR_TROVE_LOG_DIR"
    {
        echo "control transport: $ZAQAR_TROVE_CONTROL_TRANSPORT"
        echo "guest transport: $ZAQAR_TROVE_GUEST_TRANSPORT"
        echo "guest driver install: $ZAQAR_TROVE_GUEST_INSTALL"
        echo "TLS to Zaqar: $ZAQAR_TROVE_TLS"
        if [[ "$ZAQAR_TROVE_GUEST_TRANSPORT" == zaqar ]]; then
            # Trove 26 cannot give a guest grants of its own (README,
            # Findings: trove-shared-guest-credentials).
            echo "Trove guest credentials: keystone user" \
                "$ZAQAR_TROVE_GUEST_USER, shared by every Trove guest:" \
                "unsafe against hostile guests (doc/source/security.rst)"
        fi
        if is_service_enabled trove; then
            echo "trove.conf transport_url: $(zaqar_trove_mask \
                "$(iniget "$TROVE_CONF" DEFAULT transport_url)")"
            echo "trove-guestagent.conf transport_url: $(zaqar_trove_mask \
                "$(iniget "$TROVE_GUESTAGENT_CONF" DEFAULT transport_url)")"
        fi
        if is_service_enabled ztt-guest; then
            echo "stand-ins: $ZAQAR_TROVE_REMOTE_GUESTS, each with its own" \
                "pre-signed URLs ($ZAQAR_TROVE_GUEST_CREDENTIALS_DIR/<id>/)"
        fi
    } > "$file"
}

# configure_zaqar_trove_tempest - our tempest options, from what this
# deployment runs (skips come from configuration only).
function configure_zaqar_trove_tempest {
    local websocket=False signed=False push=False fifo=False size constraints
    if is_plugin_enabled zaqar; then
        iniset "$TEMPEST_CONFIG" service_available zaqar True
        is_service_enabled zaqar-websocket && websocket=True
        [[ -n "$(iniget "$ZAQAR_CONF" signed_url secret_key)" ]] && signed=True
        [[ "$(iniget "$ZAQAR_CONF" storage message_pipeline)" == \
            *zaqar.notification.notifier* ]] && push=True
        case "$(iniget "$ZAQAR_CONF" drivers message_store)" in
            redis|mongodb) fifo=True ;;
        esac
        size=$(iniget "$ZAQAR_CONF" transport max_messages_post_size)
        if [[ -n "$size" ]]; then
            iniset "$TEMPEST_CONFIG" zaqar_trove max_messages_post_size "$size"
        fi
    fi
    iniset "$TEMPEST_CONFIG" zaqar_trove_feature_enabled websocket $websocket
    iniset "$TEMPEST_CONFIG" zaqar_trove_feature_enabled signed_urls $signed
    iniset "$TEMPEST_CONFIG" zaqar_trove_feature_enabled push $push
    iniset "$TEMPEST_CONFIG" zaqar_trove_feature_enabled fifo $fifo
    iniset "$TEMPEST_CONFIG" zaqar_trove_feature_enabled trove_over_zaqar \
        "$(zaqar_trove_is_trove_over_zaqar && echo True || echo False)"
    if zaqar_trove_is_trove_over_zaqar; then
        # TRV-3 reads Trove's queues as Trove's control plane does.
        iniset "$TEMPEST_CONFIG" zaqar_trove trove_transport_url \
            "$(iniget "$TROVE_CONF" DEFAULT transport_url)"
    fi
    iniset "$TEMPEST_CONFIG" zaqar_trove zaqar_transport_url "$(zaqar_trove_url \
        "$ZAQAR_TROVE_USER" "$ZAQAR_TROVE_PASSWORD" "$ZAQAR_TROVE_ZAQAR_HOST" \
        "$ZAQAR_TROVE_AUTH_URL" "$ZAQAR_TROVE_WEBSOCKET")"
    if is_service_enabled rabbit; then
        iniset "$TEMPEST_CONFIG" zaqar_trove rabbit_transport_url \
            "rabbit://$RABBIT_USERID:$RABBIT_PASSWORD@$RABBIT_HOST:5672/"
    fi
    if [[ -n "$ZAQAR_TROVE_REMOTE_GUESTS" ]]; then
        iniset "$TEMPEST_CONFIG" zaqar_trove remote_guest_ids \
            "$ZAQAR_TROVE_REMOTE_GUESTS"
    fi
    if [[ -n "$ZAQAR_TROVE_TEMPEST_PIPS" ]]; then
        constraints=$(mktemp -t zaqar_trove_c.XXXXXXXXXX)
        set_tempest_venv_constraints "$constraints"
        # shellcheck disable=SC2086 # a list of requirement specifiers
        (cd "$TEMPEST_DIR" && tox -evenv-tempest -- pip install \
            -c "$constraints" $ZAQAR_TROVE_TEMPEST_PIPS)
        rm -f "$constraints"
    fi
}

if [[ "$1" == "stack" && "$2" == "pre-install" ]]; then
    zaqar_trove_check_setup
elif [[ "$1" == "stack" && "$2" == "install" ]]; then
    echo_summary "Installing zaqar-trove-tests (the zaqar:// driver)"
    install_zaqar_trove
elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
    echo_summary "Configuring the zaqar:// transport for Trove"
    if is_service_enabled key; then
        create_zaqar_trove_accounts
    fi
    configure_zaqar_trove_control
elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
    if zaqar_trove_is_trove_over_zaqar; then
        echo_summary "Moving Trove's guests and control plane to zaqar://"
        configure_zaqar_trove_guest
        restart_zaqar_trove_control
    fi
    if is_service_enabled ztt-guest; then
        echo_summary "Starting the guest-agent stand-ins"
        start_zaqar_trove_standins
    fi
    write_zaqar_trove_summary
elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
    if is_service_enabled tempest; then
        echo_summary "Configuring tempest for zaqar-trove-tests"
        configure_zaqar_trove_tempest
    fi
fi

if [[ "$1" == "unstack" ]]; then
    stop_process ztt-guest
fi

if [[ "$1" == "clean" ]]; then
    rm -rf "$ZAQAR_TROVE_DATA_DIR"
fi

$ZAQAR_TROVE_XTRACE
