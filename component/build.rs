//! Links the component's core module as python.wasm is linked: the same shadow stack (the guest
//! library's build script says how large, `DEP_WASIPY_PYTHON_SHADOW_STACK_BYTES`) and the wizer
//! init function exported.

fn main() {
    if std::env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32")) {
        let shadow_stack = std::env::var("DEP_WASIPY_PYTHON_SHADOW_STACK_BYTES").expect("the guest library's build script sets it");
        println!("cargo:rustc-link-arg-cdylib=-zstack-size={shadow_stack}");
        println!("cargo:rustc-link-arg-cdylib=--export=wasipy_initialize");
    }
}
