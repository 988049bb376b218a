/**
 * Finds a Vulkan driver that works without a display, before Dawn creates its Vulkan instance.
 *
 * NVIDIA's driver registers its Vulkan ICD through `libGLX_nvidia.so.0`, which fails on a headless
 * server ("Could not get vkCreateInstance"). The same driver's `libEGL_nvidia.so.0` works headless.
 * When an NVIDIA GPU is visible and the user has not chosen an ICD (VK_ICD_FILENAMES /
 * VK_DRIVER_FILES), this picks an ICD json that names the EGL library, or writes one to a temp
 * folder when the driver only registered the GLX one. It never installs anything: where the
 * Vulkan loader or the ICD is missing it returns what to install.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ICD_DIRS = [
  '/etc/vulkan/icd.d',
  '/usr/share/vulkan/icd.d',
  '/usr/local/share/vulkan/icd.d',
  '/usr/local/nvidia/share/vulkan/icd.d',
  '/usr/local/nvidia/icd.d',
];

const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib/x86_64-linux-gnu',
  '/usr/local/nvidia/lib64',
  '/usr/local/nvidia/lib',
  '/usr/local/lib',
];

export const VULKAN_LOADER_HINT =
  'the Vulkan loader libvulkan.so.1 was not found: install it (Debian/Ubuntu: `sudo apt-get install libvulkan1`)';

export const NVIDIA_ICD_HINT =
  'an NVIDIA GPU is visible but no NVIDIA Vulkan driver (ICD json naming libEGL_nvidia.so.0 or libGLX_nvidia.so.0) was found: ' +
  'install the Vulkan part of the NVIDIA driver (Debian: `sudo apt-get install nvidia-vulkan-icd`; Ubuntu: the ' +
  '`libnvidia-gl-<driver version>` package), or point VK_DRIVER_FILES at its nvidia_icd.json';

export interface IcdChoice {
  /** Environment variables to set before Dawn starts (empty when nothing needs changing). */
  env: Record<string, string>;
  /** What was decided, in words (shown by `wsol info`). */
  note: string;
  /** Set when something is missing: what to install. */
  problem?: string;
}

interface IcdFile {
  file: string;
  libraryPath: string;
  apiVersion: string;
}

function readIcd(file: string): IcdFile | null {
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { ICD?: { library_path?: string; api_version?: string } };
    if (!json.ICD?.library_path) return null;
    return { file, libraryPath: json.ICD.library_path, apiVersion: json.ICD.api_version ?? '1.3.0' };
  } catch {
    return null;
  }
}

export function listIcds(dirs: string[] = ICD_DIRS): IcdFile[] {
  const out: IcdFile[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      const file = path.join(dir, n);
      const real = fs.existsSync(file) ? fs.realpathSync(file) : file;
      if (seen.has(real)) continue;
      seen.add(real);
      const icd = readIcd(file);
      if (icd) out.push(icd);
    }
  }
  return out;
}

/**
 * Absolute path of a shared library in LD_LIBRARY_PATH and the usual folders, or null. A library
 * found only through /etc/ld.so.conf.d is missed: callers use this for hints, never to refuse.
 */
export function findLibrary(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIB_DIRS];
  for (const d of dirs) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

export function nvidiaGpuVisible(): boolean {
  try {
    return fs.readdirSync('/proc/driver/nvidia/gpus').length > 0;
  } catch {
    return false;
  }
}

/**
 * Decides the Vulkan ICD for Dawn. Pure apart from reading the file system and, when the driver
 * registered only its GLX ICD, writing one json file under `tmpDir`.
 */
export function chooseVulkanIcd(
  env: NodeJS.ProcessEnv = process.env,
  opts: { nvidia?: boolean; icdDirs?: string[]; tmpDir?: string } = {},
): IcdChoice {
  const chosen = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  if (chosen) return { env: {}, note: `Vulkan ICD chosen by the environment: ${chosen}` };
  const nvidia = opts.nvidia ?? nvidiaGpuVisible();
  if (!nvidia) return { env: {}, note: 'Vulkan loader default ICDs' };
  const icds = listIcds(opts.icdDirs);
  const isNvidia = (i: IcdFile) => /nvidia/i.test(i.libraryPath);
  const egl = icds.find((i) => isNvidia(i) && /libEGL_nvidia/.test(i.libraryPath));
  if (egl) return { env: { VK_DRIVER_FILES: egl.file, VK_ICD_FILENAMES: egl.file }, note: `NVIDIA EGL Vulkan ICD ${egl.file}` };
  const glx = icds.find(isNvidia);
  if (!glx) return { env: {}, note: 'NVIDIA GPU without a Vulkan ICD', problem: NVIDIA_ICD_HINT };
  const eglLib = findLibrary('libEGL_nvidia.so.0', env);
  if (!eglLib) {
    return {
      env: {},
      note: `only the GLX ICD ${glx.file}`,
      problem:
        `the NVIDIA Vulkan ICD ${glx.file} names ${glx.libraryPath}, which fails without a display, and ` +
        'libEGL_nvidia.so.0 was not found: install the EGL part of the NVIDIA driver (Ubuntu: `libnvidia-gl-<driver version>`), ' +
        'or set VK_DRIVER_FILES to an ICD json that names libEGL_nvidia.so.0',
    };
  }
  const dir = fs.mkdtempSync(path.join(opts.tmpDir ?? os.tmpdir(), 'wsol-vulkan-icd-'));
  const file = path.join(dir, 'nvidia_egl_icd.json');
  fs.writeFileSync(file, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: eglLib, api_version: glx.apiVersion } }, null, 2));
  return { env: { VK_DRIVER_FILES: file, VK_ICD_FILENAMES: file }, note: `NVIDIA EGL Vulkan ICD written to ${file} (the driver's ${glx.file} names the GLX library)` };
}
