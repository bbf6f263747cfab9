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
# Stand-ins for the devstack functions devstack/plugin.sh calls, for the
# unit tests in test_devstack.py. INI files are real files; everything that
# would change the machine is appended to $ZTT_RECORD instead.

function die {
    shift
    echo "die: $*" >> "$ZTT_RECORD"
    exit 3
}

function echo_summary {
    :
}

function trueorfalse {
    local value=${!2:-$1}
    case "$value" in
        [Tt]rue|1|yes|Yes) echo True ;;
        *) echo False ;;
    esac
}

function is_service_enabled {
    local service
    for service in "$@"; do
        [[ ",$ENABLED_SERVICES," == *",$service,"* ]] && return 0
        [[ $service == trove && ",$ENABLED_SERVICES" == *",tr-"* ]] && return 0
    done
    return 1
}

function is_plugin_enabled {
    [[ ",$DEVSTACK_PLUGINS," == *",$1,"* ]]
}

# iniset FILE SECTION OPTION VALUE / iniget FILE SECTION OPTION: through
# Python's configparser, so values are stored exactly.
function iniset {
    "$ZTT_REAL_PYTHON" -S "$ZTT_STUB_DIR/ini.py" set "$@"
}

function iniget {
    "$ZTT_REAL_PYTHON" -S "$ZTT_STUB_DIR/ini.py" get "$@"
}

function pip_install {
    echo "pip_install $*" >> "$ZTT_RECORD"
}

function setup_develop {
    echo "setup_develop $*" >> "$ZTT_RECORD"
}

function get_or_create_project {
    echo "get_or_create_project $*" >> "$ZTT_RECORD"
    echo "id-of-$1"
}

function get_or_create_user {
    echo "get_or_create_user $1 $3" >> "$ZTT_RECORD"
    echo "id-of-$1"
}

function get_or_add_user_project_role {
    echo "get_or_add_user_project_role $*" >> "$ZTT_RECORD"
}

function restart_service {
    echo "restart_service $*" >> "$ZTT_RECORD"
}

function run_process {
    echo "run_process $1 $2" >> "$ZTT_RECORD"
}

function stop_process {
    echo "stop_process $*" >> "$ZTT_RECORD"
}

function apache_site_config_for {
    echo "$ZTT_APACHE_SITES/$1.conf"
}

function enable_apache_site {
    echo "enable_apache_site $*" >> "$ZTT_RECORD"
}

function restart_apache_server {
    echo "restart_apache_server" >> "$ZTT_RECORD"
}

function set_tempest_venv_constraints {
    : > "$1"
}

function openstack {
    echo "openstack $*" >> "$ZTT_RECORD"
}

function tox {
    echo "tox $*" >> "$ZTT_RECORD"
}

function sudo {
    "$@"
}
